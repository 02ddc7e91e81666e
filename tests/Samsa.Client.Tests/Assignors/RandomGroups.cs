using Samsa.Client.Consumer.Assignors;

namespace Samsa.Client.Tests.Assignors;

/// <summary>Random groups for the property tests: a few topics, a few members, random subscriptions.</summary>
internal static class RandomGroups
{
    public static (Dictionary<string, int> PartitionsPerTopic, Dictionary<string, MemberSubscription> Subscriptions) Create(
        Random random, bool sameSubscription, int maxMembers = 7)
    {
        var partitionsPerTopic = new Dictionary<string, int>();
        int topicCount = random.Next(1, 5);
        for (int t = 0; t < topicCount; t++)
        {
            partitionsPerTopic[$"topic{t}"] = random.Next(0, 13);
        }
        var shared = RandomTopics(random, partitionsPerTopic.Keys.ToList());
        var subscriptions = new Dictionary<string, MemberSubscription>();
        int memberCount = random.Next(1, maxMembers + 1);
        for (int m = 0; m < memberCount; m++)
        {
            string id;
            do
            {
                id = NewMemberId(random);
            }
            while (subscriptions.ContainsKey(id));
            subscriptions[id] = new MemberSubscription
            {
                Topics = sameSubscription ? shared : RandomTopics(random, partitionsPerTopic.Keys.ToList()),
            };
        }
        return (partitionsPerTopic, subscriptions);
    }

    public static string NewMemberId(Random random) => $"member-{random.Next(1_000_000):D6}";

    public static string[] RandomTopics(Random random, List<string> topics)
    {
        var chosen = topics.Where(_ => random.Next(2) == 0).ToList();
        if (chosen.Count == 0)
        {
            chosen.Add(topics[random.Next(topics.Count)]);
        }
        return chosen.ToArray();
    }
}
