using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Tests.Compression;

/// <summary>
/// Batches captured from kcat (librdkafka), kafka-python and KafkaJS (see Fixtures/README.md) decoded by Samsa's
/// codecs, and Samsa's compressed payloads decoded by other implementations: kafka-python's codec module (which uses
/// python-snappy, python-lz4 and zlib, and handles the xerial framing) and the zstd command-line tool.
/// </summary>
public sealed class GoldenBatchTests
{
    public static TheoryData<string> Fixtures() =>
    [
        "kcat-none", "kcat-gzip", "kcat-snappy", "kcat-lz4", "kcat-zstd",
        "kafkapython-gzip", "kafkapython-snappy", "kafkapython-lz4", "kafkapython-zstd",
        "kafkajs-gzip",
    ];

    private static string FixtureDirectory([CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "Fixtures");

    private static byte[] Load(string name) => File.ReadAllBytes(Path.Combine(FixtureDirectory(), name + ".bin"));

    private static string ExpectedValue(string fixture, int i)
    {
        string[] parts = fixture.Split('-');
        string client = parts[0] == "kafkapython" ? "kafka-python" : parts[0];
        int xs = client == "kcat" && i == 0 ? 1 : i * 3;
        return $"golden {client} {parts[1]} record {i} " + new string('x', xs);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Captured_batch_passes_validation(string fixture)
    {
        byte[] batch = Load(fixture);
        Assert.True(RecordBatch.IsCrcValid(batch));
        BatchValidationResult result = BatchValidator.ValidateProduceBatch(batch, new RecordValidationPolicy { RequireKeys = true });
        Assert.True(result.IsValid, result.Reason);
        Assert.Equal(20, result.RecordCount);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Captured_batch_decodes_to_the_records_the_client_sent(string fixture)
    {
        byte[] batch = RecordBatchCompression.Decompress(Load(fixture));
        int i = 0;
        foreach (Samsa.Protocol.Records.Record record in RecordReader.FromBatch(batch))
        {
            Assert.Equal(i, record.OffsetDelta);
            Assert.Equal("k" + i, Encoding.UTF8.GetString(record.Key));
            Assert.Equal(ExpectedValue(fixture, i), Encoding.UTF8.GetString(record.Value));
            Assert.Equal(1, record.HeaderCount);
            foreach (RecordHeaderView header in record.Headers)
            {
                Assert.Equal("trace", Encoding.UTF8.GetString(header.Key));
                Assert.Equal("abc", Encoding.UTF8.GetString(header.Value));
            }

            i++;
        }

        Assert.Equal(20, i);
    }

    [Theory]
    [InlineData("kcat-snappy", false)]
    [InlineData("kafkapython-snappy", true)]
    public void Librdkafka_writes_raw_snappy_and_kafka_python_xerial(string fixture, bool xerial)
    {
        byte[] batch = Load(fixture);
        Assert.Equal(xerial, SnappyCodec.IsXerial(batch.AsSpan(RecordBatchHeader.RecordsOffset)));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Captured_records_recompressed_by_samsa_decode_the_same(string fixture)
    {
        byte[] plain = RecordBatchCompression.Decompress(Load(fixture));
        foreach (CompressionType codec in CodecTestData.Codecs)
        {
            Assert.Equal(plain, RecordBatchCompression.Decompress(RecordBatchCompression.Compress(plain, codec)));
        }
    }

    [Fact]
    public void Samsa_payloads_decode_with_other_implementations()
    {
        string dir = Directory.CreateTempSubdirectory("samsa-codec-").FullName;
        try
        {
            byte[] input = CodecTestData.Payload(300_000, compressible: true);
            File.WriteAllBytes(Path.Combine(dir, "expected"), input);
            foreach (CompressionType codec in CodecTestData.Codecs)
            {
                File.WriteAllBytes(Path.Combine(dir, codec.ToString().ToLowerInvariant()), CompressionCodec.Compress(codec, input));
            }

            string script = """
                import sys, os
                from kafka import codec
                d = sys.argv[1]
                expected = open(os.path.join(d, 'expected'), 'rb').read()
                decoders = {'gzip': codec.gzip_decode, 'snappy': codec.snappy_decode, 'lz4': codec.lz4_decode}
                for name, decode in decoders.items():
                    out = decode(open(os.path.join(d, name), 'rb').read())
                    assert out == expected, name
                    print(name, 'ok')
                """;
            Assert.Contains("lz4 ok", Run("/usr/bin/python3", ["-c", script, dir]), StringComparison.Ordinal);
            Run("zstd", ["-q", "-d", Path.Combine(dir, "zstd"), "-o", Path.Combine(dir, "zstd.out")]);
            Assert.Equal(input, File.ReadAllBytes(Path.Combine(dir, "zstd.out")));
            Run("lz4", ["-q", "-d", Path.Combine(dir, "lz4"), Path.Combine(dir, "lz4.out")]);
            Assert.Equal(input, File.ReadAllBytes(Path.Combine(dir, "lz4.out")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(30_000), program + " timed out");
        Assert.True(process.ExitCode == 0, $"{program} failed: {error}");
        return output;
    }
}
