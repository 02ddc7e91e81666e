namespace Samsa.Client.Admin;

/// <summary>What an incremental config change does (IncrementalAlterConfigs' operation codes).</summary>
public enum AlterConfigOpType : sbyte
{
    /// <summary>Sets the override to the value.</summary>
    Set = 0,

    /// <summary>Removes the override; the key reverts to the broker's value.</summary>
    Delete = 1,

    /// <summary>Adds the value's comma-separated items to a list-valued key (cleanup.policy, ...).</summary>
    Append = 2,

    /// <summary>Removes the value's comma-separated items from a list-valued key.</summary>
    Subtract = 3,
}
