using System.Globalization;
using System.Text;
using Samsa.Protocol;

namespace Samsa.Storage;

/// <summary>
/// Reads and writes a log dir's <c>cleaner-offset-checkpoint</c>: for each compacted partition, the first offset the
/// cleaner has not cleaned yet. Kafka's text checkpoint format, UTF-8, '\n' line ends:
/// <code>
/// 0                          (format version)
/// 2                          (number of entries)
/// orders 0 1234              (topic partition offset, one entry per line)
/// __consumer_offsets 7 88
/// </code>
/// A write goes to <c>cleaner-offset-checkpoint.tmp</c>, is fsynced, renamed over the file and the directory fsynced,
/// so a crash leaves the old or the new file whole. Thread-safety: stateless; callers serialize writes per log dir.
/// </summary>
internal static class CleanerCheckpointFile
{
    public const string FileName = "cleaner-offset-checkpoint";
    private const string Version = "0";

    /// <summary>The entries of the file in <paramref name="logDir"/>; empty when there is none. Throws <see cref="InvalidDataException"/> when malformed.</summary>
    public static Dictionary<TopicPartition, long> Read(string logDir)
    {
        var entries = new Dictionary<TopicPartition, long>();
        string path = Path.Combine(logDir, FileName);
        if (!File.Exists(path))
        {
            return entries;
        }

        string[] lines = File.ReadAllLines(path, Encoding.UTF8);
        if (lines.Length < 2 || lines[0].Trim() != Version
            || !int.TryParse(lines[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            || count != lines.Length - 2 - CountTrailingBlank(lines))
        {
            throw new InvalidDataException($"{path} is not a version 0 checkpoint file with a matching entry count.");
        }

        for (int i = 0; i < count; i++)
        {
            string[] fields = lines[2 + i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 3
                || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int partition)
                || !long.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out long offset))
            {
                throw new InvalidDataException($"{path} line {i + 3} is not 'topic partition offset'.");
            }

            entries[new TopicPartition(fields[0], partition)] = offset;
        }

        return entries;
    }

    /// <summary>Replaces the file in <paramref name="logDir"/> with <paramref name="entries"/>, atomically and durably.</summary>
    public static void Write(string logDir, IReadOnlyCollection<KeyValuePair<TopicPartition, long>> entries)
    {
        var text = new StringBuilder();
        text.Append(Version).Append('\n');
        text.Append(entries.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach ((TopicPartition topicPartition, long offset) in entries)
        {
            text.Append(topicPartition.Topic).Append(' ')
                .Append(topicPartition.Partition.ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append(offset.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        string path = Path.Combine(logDir, FileName);
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        SegmentSwap.SyncDirectory(logDir);
    }

    private static int CountTrailingBlank(string[] lines)
    {
        int blank = 0;
        for (int i = lines.Length - 1; i >= 2 && lines[i].Length == 0; i--)
        {
            blank++;
        }

        return blank;
    }
}
