// Each test class starts its own broker and runs several client processes;
// on a 2-core machine running classes side by side only causes timeouts.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
