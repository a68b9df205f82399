using System.Globalization;
using System.Text;

namespace Alkanet.Vmm.Guest;

/// <summary>Writes a cpio "newc" archive, the format the Linux kernel unpacks as an initramfs.</summary>
public sealed class CpioWriter(Stream output) : IDisposable
{
    private uint _ino = 1;
    private bool _finished;

    public void AddDirectory(string path) => Add(path, 0x4000 | 0x1ED, []);

    public void AddFile(string path, ReadOnlySpan<byte> content, bool executable) => Add(path, 0x8000 | (executable ? 0x1EDu : 0x1A4u), content);

    public void AddSymlink(string path, string target) => Add(path, 0xA000 | 0x1FF, Encoding.UTF8.GetBytes(target));

    private void Add(string path, uint mode, ReadOnlySpan<byte> data)
    {
        var name = Encoding.UTF8.GetBytes(path.TrimStart('/'));
        var header = new StringBuilder("070701");
        foreach (var v in new[] { _ino++, mode, 0u, 0u, 1u, 0u, (uint)data.Length, 0u, 0u, 0u, 0u, (uint)name.Length + 1, 0u })
            header.Append(v.ToString("X8", CultureInfo.InvariantCulture));
        output.Write(Encoding.ASCII.GetBytes(header.ToString()));
        output.Write(name);
        output.WriteByte(0);
        Pad(110 + name.Length + 1);
        output.Write(data);
        Pad(data.Length);
    }

    private void Pad(long written)
    {
        var pad = (int)((4 - written % 4) % 4);
        for (var i = 0; i < pad; i++) output.WriteByte(0);
    }

    public void Finish()
    {
        if (_finished) return;
        _finished = true;
        Add("TRAILER!!!", 0, []);
    }

    public void Dispose() => Finish();
}
