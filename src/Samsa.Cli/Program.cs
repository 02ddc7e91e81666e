namespace Samsa.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("samsa: not built yet");
        return 1;
    }
}
