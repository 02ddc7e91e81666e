using System.Runtime.InteropServices;

namespace Samsa.Interop.Tests.Infrastructure;

/// <summary>Sends POSIX signals; .NET's Process API only knows SIGKILL.</summary>
internal static partial class PosixSignals
{
    public const int SigTerm = 15;
    public const int SigKill = 9;
    public const int SigCont = 18;
    public const int SigStop = 19;

    public static void Send(int pid, int signal)
    {
        if (SysKill(pid, signal) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {errno}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);
}
