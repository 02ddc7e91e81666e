namespace Samsa.Protocol.Records;

/// <summary>A record header to write: a key (written as UTF-8) and a nullable value.</summary>
public readonly record struct RecordHeader(string Key, byte[]? Value);
