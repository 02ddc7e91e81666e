namespace Samsa.Protocol.Tests.Records;

/// <summary>Bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78), independent of the production code.</summary>
internal static class ReferenceCrc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }
}
