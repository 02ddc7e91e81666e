using Samsa.Interop.Tests.Infrastructure;

namespace Samsa.Interop.Tests.Clients;

/// <summary>
/// A Python client from Debian's packages. It runs under /usr/bin/python3:
/// other interpreters on PATH do not see Debian's modules.
/// </summary>
public sealed class PythonClient : ScriptClient
{
    private const string DebianPython = "/usr/bin/python3";

    private readonly string _module;
    private readonly string _debianPackage;
    private readonly string _script;

    public PythonClient(string name, string script, string module, string debianPackage, bool sendsNullHeaderValues)
    {
        SendsNullHeaderValues = sendsNullHeaderValues;
        Name = name;
        _script = script;
        _module = module;
        _debianPackage = debianPackage;
    }

    public override string Name { get; }

    public override bool HasAdmin => true;

    public override bool SendsNullHeaderValues { get; }

    public override bool CanConsume => true;

    protected override string Interpreter => DebianPython;

    protected override string ScriptPath => Path.Combine(ClientPaths.PythonDirectory, _script);

    protected override async Task CheckInstalledAsync()
    {
        if (!File.Exists(DebianPython))
        {
            throw new ClientProcessException($"{Name}: {DebianPython} is missing; install it with 'apt-get install -y python3 {_debianPackage}'");
        }
        var result = await ClientProcess.RunAsync(DebianPython, ["-c", $"import {_module}"], TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new ClientProcessException(
                $"{Name} is not installed: {DebianPython} cannot import '{_module}'. Install it with " +
                $"'DEBIAN_FRONTEND=noninteractive apt-get install -y {_debianPackage}'.\n{result.Describe()}");
        }
    }
}
