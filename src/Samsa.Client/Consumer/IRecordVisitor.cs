namespace Samsa.Client.Consumer;

/// <summary>
/// Receives records from <see cref="IConsumer{TKey,TValue}.ConsumeBatch"/> as views into the fetch response: nothing
/// is copied or allocated per record, and the spans are valid only during the call.
/// </summary>
public interface IRecordVisitor
{
    void OnRecord(in ConsumedRecord record);
}
