namespace Samsa.Client.Admin;

/// <summary>One change for <see cref="AdminClient.IncrementalAlterConfigsAsync"/>. Immutable.</summary>
public sealed record AlterConfigOp(string Name, AlterConfigOpType Operation, string? Value = null)
{
    public static AlterConfigOp Set(string name, string value) => new(name, AlterConfigOpType.Set, value);

    public static AlterConfigOp Delete(string name) => new(name, AlterConfigOpType.Delete);

    public static AlterConfigOp Append(string name, string value) => new(name, AlterConfigOpType.Append, value);

    public static AlterConfigOp Subtract(string name, string value) => new(name, AlterConfigOpType.Subtract, value);
}
