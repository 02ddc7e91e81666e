using System.IO.MemoryMappedFiles;

namespace Samsa.Storage;

/// <summary>
/// The file and memory mapping behind a segment index (<see cref="OffsetIndex"/>, <see cref="TimeIndex"/>): a flat
/// array of fixed-size slots whose used slots form a prefix and whose unused slots are all zero. While the segment is
/// active the file is grown (sparse) to the index's capacity; when it is not, it is trimmed to its used slots.
/// Knows nothing about the entries' contents.
/// Not thread-safe: the owning index calls it under its own lock.
/// </summary>
internal sealed unsafe class MappedIndexFile : IDisposable
{
    private readonly FileStream _file;
    private readonly int _slotSize;
    private MemoryMappedFile? _mapping;
    private MemoryMappedViewAccessor? _view;
    private byte* _pointer;
    private int _mappedSlots;

    /// <summary>Opens (creating if needed) the file at <paramref name="path"/> and maps the slots already in it.</summary>
    public MappedIndexFile(string path, int slotSize)
    {
        _slotSize = slotSize;
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete, bufferSize: 1);
        try
        {
            int slots = (int)Math.Min(_file.Length / slotSize, int.MaxValue / slotSize);
            if (slots > 0)
            {
                Map(slots);
            }
        }
        catch
        {
            Unmap();
            _file.Dispose();
            throw;
        }
    }

    /// <summary>Slots currently mapped (and present in the file).</summary>
    public int MappedSlots => _mappedSlots;

    /// <summary>The bytes of slot <paramref name="index"/>, which must be below <see cref="MappedSlots"/>.</summary>
    public Span<byte> Slot(int index) => new(_pointer + ((long)index * _slotSize), _slotSize);

    /// <summary>
    /// The used slots among the mapped ones: they form a prefix and unused (preallocated) slots are all zero, so the
    /// boundary is found by bisection.
    /// </summary>
    public int CountUsedSlots()
    {
        int slots = _mappedSlots;
        if (slots == 0 || !IsSlotEmpty(slots - 1))
        {
            return slots;
        }

        int low = 0;
        int high = slots - 1;
        while (low < high)
        {
            int mid = (int)((uint)(low + high) >> 1);
            if (IsSlotEmpty(mid))
            {
                high = mid;
            }
            else
            {
                low = mid + 1;
            }
        }

        return low;
    }

    /// <summary>Grows the file (sparse) and the mapping to <paramref name="slots"/> slots if they are smaller.</summary>
    public void EnsureMapped(int slots)
    {
        if (slots <= _mappedSlots)
        {
            return;
        }

        Unmap();
        long bytes = (long)slots * _slotSize;
        if (_file.Length < bytes)
        {
            _file.SetLength(bytes);
        }

        Map(slots);
    }

    /// <summary>Zeroes the slots from <paramref name="from"/> to <paramref name="to"/> (exclusive).</summary>
    public void Clear(int from, int to)
    {
        if (to > from)
        {
            new Span<byte>(_pointer + ((long)from * _slotSize), (to - from) * _slotSize).Clear();
        }
    }

    /// <summary>Shrinks the file and the mapping to <paramref name="usedSlots"/> slots.</summary>
    public void Trim(int usedSlots)
    {
        Unmap();
        _file.SetLength((long)usedSlots * _slotSize);
        if (usedSlots > 0)
        {
            Map(usedSlots);
        }
    }

    /// <summary>Writes the mapped slots to disk.</summary>
    public void Flush() => _view?.Flush();

    /// <summary>Unmaps, trims the file to <paramref name="usedSlots"/> slots and closes it.</summary>
    public void Close(int usedSlots)
    {
        try
        {
            Unmap();
            _file.SetLength((long)usedSlots * _slotSize);
        }
        finally
        {
            _file.Dispose();
        }
    }

    /// <summary>Unmaps and closes the file as it is.</summary>
    public void Dispose()
    {
        Unmap();
        _file.Dispose();
    }

    private bool IsSlotEmpty(int index) => Slot(index).IndexOfAnyExcept((byte)0) < 0;

    private void Map(int slots)
    {
        long bytes = (long)slots * _slotSize;
        _mapping = MemoryMappedFile.CreateFromFile(
            _file, mapName: null, bytes, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
        _view = _mapping.CreateViewAccessor(0, bytes, MemoryMappedFileAccess.ReadWrite);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer + _view.PointerOffset;
        _mappedSlots = slots;
    }

    private void Unmap()
    {
        if (_view is not null)
        {
            if (_pointer is not null)
            {
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
            }

            _view.Dispose();
            _view = null;
        }

        _mapping?.Dispose();
        _mapping = null;
        _pointer = null;
        _mappedSlots = 0;
    }
}
