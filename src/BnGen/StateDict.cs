using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using BnGen.Internal;

namespace BnGen;

/// <summary>
/// A PyTorch state dict in the safetensors format: an ordered map from names (<c>"stem.bn1.weight"</c>) to tensors, plus
/// the header's <c>__metadata__</c> strings. What <c>safetensors.torch.save_file(model.state_dict(), path)</c> writes,
/// <see cref="Load(string)"/> reads; what <see cref="Save(string)"/> writes, <c>safetensors.torch.load_file</c> reads.
/// </summary>
/// <remarks>
/// <para>Order: keys keep their insertion order (<see cref="Load(Stream)"/> inserts them in the header's order);
/// replacing a key keeps its place, <see cref="Remove(string)"/> closes the gap. <see cref="Save(Stream)"/> writes the
/// tensors in this order, so loading a file BnGen wrote and saving it again gives the same bytes.</para>
/// <para>Reading is strict and bounded: every malformed file is an <see cref="InvalidDataException"/> naming the key
/// (see <c>docs/statedict.md</c>), and no allocation is larger than the bytes the stream really holds. No code runs:
/// the format is a JSON header and raw numbers.</para>
/// <para>Not thread-safe for writes; concurrent reads are safe. Tensors are immutable and may be shared.</para>
/// </remarks>
public sealed class StateDict : IDictionary<string, StateTensor>, IReadOnlyDictionary<string, StateTensor>
{
    /// <summary>The header key the format reserves for the metadata strings; no tensor may have this name.</summary>
    public const string MetadataKey = "__metadata__";

    private readonly List<KeyValuePair<string, StateTensor>> _entries;
    private readonly Dictionary<string, int> _index;
    private readonly KeyList _keys;
    private readonly ValueList _values;
    private int _version;

    /// <summary>Creates an empty state dict.</summary>
    public StateDict()
        : this(0)
    {
    }

    internal StateDict(int capacity)
    {
        _entries = new List<KeyValuePair<string, StateTensor>>(capacity);
        _index = new Dictionary<string, int>(capacity, StringComparer.Ordinal);
        _keys = new KeyList(this);
        _values = new ValueList(this);
    }

    /// <summary>
    /// The header's <c>__metadata__</c> map (free-form strings; PyTorch's writer puts <c>{"format": "pt"}</c> there).
    /// Written only when it is not empty, in ordinal key order. Keys and values must not be null.
    /// </summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The number of tensors.</summary>
    public int Count => _entries.Count;

    /// <summary>The names, in order.</summary>
    public IReadOnlyList<string> Keys => _keys;

    /// <summary>The tensors, in the order of <see cref="Keys"/>.</summary>
    public IReadOnlyList<StateTensor> Values => _values;

    ICollection<string> IDictionary<string, StateTensor>.Keys => _keys;

    ICollection<StateTensor> IDictionary<string, StateTensor>.Values => _values;

    IEnumerable<string> IReadOnlyDictionary<string, StateTensor>.Keys => _keys;

    IEnumerable<StateTensor> IReadOnlyDictionary<string, StateTensor>.Values => _values;

    bool ICollection<KeyValuePair<string, StateTensor>>.IsReadOnly => false;

    /// <summary>
    /// Gets the tensor of a name, or sets it: an existing name keeps its place in the order, a new one is appended.
    /// </summary>
    /// <param name="key">The tensor's name, for example <c>"stem.bn1.running_mean"</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or the value is null.</exception>
    /// <exception cref="KeyNotFoundException">Getting a name that is not present.</exception>
    /// <exception cref="ArgumentException">Setting the reserved name <c>__metadata__</c>.</exception>
    public StateTensor this[string key]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(key);
            if (!_index.TryGetValue(key, out int position))
            {
                throw new KeyNotFoundException($"The state dict has no tensor named '{key}'.");
            }

            return _entries[position].Value;
        }

        set
        {
            CheckNewEntry(key, value);
            if (_index.TryGetValue(key, out int position))
            {
                _entries[position] = new(key, value);
            }
            else
            {
                _index.Add(key, _entries.Count);
                _entries.Add(new(key, value));
            }

            _version++;
        }
    }

    /// <summary>Reads a safetensors file.</summary>
    /// <param name="path">The file, for example <c>model.safetensors</c>.</param>
    /// <returns>The tensors in the header's order, and the metadata.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message says why and names the key.</exception>
    /// <exception cref="NotSupportedException">A tensor really holds more than <see cref="Array.MaxLength"/> bytes (one array each).</exception>
    /// <exception cref="IOException">The file cannot be opened or read (<see cref="FileNotFoundException"/>, ...).</exception>
    public static StateDict Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
        return SafetensorsReader.Read(stream);
    }

    /// <summary>
    /// Reads a safetensors file from the stream's current position to its end (the whole rest of the stream is the file:
    /// trailing bytes are an error, as in the reference implementation). A seekable stream's length bounds every
    /// allocation up front; a non-seekable one is read incrementally and nothing is allocated ahead of the bytes that
    /// really arrive. The stream is not closed.
    /// </summary>
    /// <param name="stream">A readable stream.</param>
    /// <returns>The tensors in the header's order, and the metadata.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not readable.</exception>
    /// <exception cref="InvalidDataException">The bytes are not a valid safetensors file; the message says why and names the key.</exception>
    /// <exception cref="NotSupportedException">A tensor really holds more than <see cref="Array.MaxLength"/> bytes (one array each).</exception>
    /// <exception cref="IOException">The stream itself fails.</exception>
    public static StateDict Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable.", nameof(stream));
        }

        return SafetensorsReader.Read(stream);
    }

    /// <summary>
    /// Writes the state dict as a safetensors file, replacing an existing file only once the new one is complete (it is
    /// written to a temporary file in the same folder, then moved over the target).
    /// </summary>
    /// <param name="path">The file to write, for example <c>model.safetensors</c>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The header would exceed 100,000,000 bytes, or a name or metadata
    /// string is not valid UTF-16, or a metadata value is null.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] header = SafetensorsWriter.BuildHeader(this);   // every check happens before a file is touched
        string fullPath = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(fullPath) ?? ".", "." + Path.GetFileName(fullPath) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                SafetensorsWriter.Write(this, header, stream);
            }

            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            // The original exception matters more than the clean-up: File.Delete does not throw for a missing file,
            // but a folder that does not exist makes it throw, so look first.
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }

            throw;
        }
    }

    /// <summary>
    /// Writes the state dict as a safetensors file at the stream's position: the 8-byte little-endian header size, the
    /// JSON header padded with spaces to a multiple of 8 bytes (as the reference writer does), then every tensor's
    /// bytes in order. Nothing is written if a check fails.
    /// </summary>
    /// <param name="stream">A writable stream; it is not closed.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not writable.</exception>
    /// <exception cref="InvalidOperationException">The header would exceed 100,000,000 bytes, or a name or metadata
    /// string is not valid UTF-16, or a metadata value is null.</exception>
    /// <exception cref="IOException">The stream fails.</exception>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream must be writable.", nameof(stream));
        }

        SafetensorsWriter.Write(this, SafetensorsWriter.BuildHeader(this), stream);
    }

    /// <summary>Adds a tensor under a new name, at the end of the order.</summary>
    /// <param name="key">The tensor's name.</param>
    /// <param name="value">The tensor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException">The name is present already, or is the reserved <c>__metadata__</c>.</exception>
    public void Add(string key, StateTensor value)
    {
        CheckNewEntry(key, value);
        if (_index.ContainsKey(key))
        {
            throw new ArgumentException($"The state dict already has a tensor named '{key}'; use the indexer to replace it.", nameof(key));
        }

        _index.Add(key, _entries.Count);
        _entries.Add(new(key, value));
        _version++;
    }

    /// <summary>Whether a tensor of this name is present.</summary>
    /// <param name="key">The tensor's name.</param>
    /// <returns>True when present.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    public bool ContainsKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return _index.ContainsKey(key);
    }

    /// <summary>Gets the tensor of a name, if present.</summary>
    /// <param name="key">The tensor's name.</param>
    /// <param name="value">The tensor, or null when absent.</param>
    /// <returns>True when present.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out StateTensor value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_index.TryGetValue(key, out int position))
        {
            value = _entries[position].Value;
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>Removes a tensor; the others keep their order.</summary>
    /// <param name="key">The tensor's name.</param>
    /// <returns>True when it was present.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    public bool Remove(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!_index.Remove(key, out int position))
        {
            return false;
        }

        _entries.RemoveAt(position);
        // The entries after the removed one moved up by one.
        for (int i = position; i < _entries.Count; i++)
        {
            _index[_entries[i].Key] = i;
        }

        _version++;
        return true;
    }

    /// <summary>Removes every tensor (the metadata stays).</summary>
    public void Clear()
    {
        _entries.Clear();
        _index.Clear();
        _version++;
    }

    /// <summary>Enumerates the name–tensor pairs in order. Changing the state dict during the enumeration is an error.</summary>
    /// <returns>An enumerator.</returns>
    public IEnumerator<KeyValuePair<string, StateTensor>> GetEnumerator()
    {
        int version = _version;
        for (int i = 0; i < _entries.Count; i++)
        {
            yield return _entries[i];
            CheckVersion(version);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    void ICollection<KeyValuePair<string, StateTensor>>.Add(KeyValuePair<string, StateTensor> item) => Add(item.Key, item.Value);

    bool ICollection<KeyValuePair<string, StateTensor>>.Contains(KeyValuePair<string, StateTensor> item)
        => TryGetValue(item.Key, out StateTensor? value) && ReferenceEquals(value, item.Value);

    bool ICollection<KeyValuePair<string, StateTensor>>.Remove(KeyValuePair<string, StateTensor> item)
        => ((ICollection<KeyValuePair<string, StateTensor>>)this).Contains(item) && Remove(item.Key);

    void ICollection<KeyValuePair<string, StateTensor>>.CopyTo(KeyValuePair<string, StateTensor>[] array, int arrayIndex)
        => _entries.CopyTo(array, arrayIndex);

    /// <summary>Appends an entry the reader has checked already (a new, valid name).</summary>
    internal void AddLoaded(string key, StateTensor value)
    {
        _index.Add(key, _entries.Count);
        _entries.Add(new(key, value));
    }

    internal KeyValuePair<string, StateTensor> EntryAt(int position) => _entries[position];

    private static void CheckNewEntry(string key, StateTensor value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (key == MetadataKey)
        {
            throw new ArgumentException("'__metadata__' is reserved by the safetensors format for the metadata strings; use StateDict.Metadata.", nameof(key));
        }
    }

    private void CheckVersion(int version)
    {
        if (version != _version)
        {
            throw new InvalidOperationException("The state dict was changed during the enumeration.");
        }
    }

    /// <summary>A live, read-only view of the names in order.</summary>
    private sealed class KeyList(StateDict owner) : ReadOnlyView<string>(owner)
    {
        public override string this[int index] => Owner._entries[index].Key;

        public override bool Contains(string item) => item is not null && Owner._index.ContainsKey(item);
    }

    /// <summary>A live, read-only view of the tensors in order.</summary>
    private sealed class ValueList(StateDict owner) : ReadOnlyView<StateTensor>(owner)
    {
        public override StateTensor this[int index] => Owner._entries[index].Value;

        public override bool Contains(StateTensor item)
        {
            foreach (KeyValuePair<string, StateTensor> entry in Owner._entries)
            {
                if (ReferenceEquals(entry.Value, item))
                {
                    return true;
                }
            }

            return false;
        }
    }

    private abstract class ReadOnlyView<TItem>(StateDict owner) : IReadOnlyList<TItem>, ICollection<TItem>
    {
        protected StateDict Owner { get; } = owner;

        public int Count => Owner._entries.Count;

        public bool IsReadOnly => true;

        public abstract TItem this[int index] { get; }

        public abstract bool Contains(TItem item);

        public IEnumerator<TItem> GetEnumerator()
        {
            int version = Owner._version;
            for (int i = 0; i < Owner._entries.Count; i++)
            {
                yield return this[i];
                Owner.CheckVersion(version);
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public void CopyTo(TItem[] array, int arrayIndex)
        {
            ArgumentNullException.ThrowIfNull(array);
            for (int i = 0; i < Count; i++)
            {
                array[arrayIndex + i] = this[i];
            }
        }

        public void Add(TItem item) => throw ReadOnly();

        public bool Remove(TItem item) => throw ReadOnly();

        public void Clear() => throw ReadOnly();

        private static NotSupportedException ReadOnly() => new("The keys and values of a StateDict are a read-only view; change the StateDict itself.");
    }
}
