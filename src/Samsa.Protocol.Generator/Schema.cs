using System;
using System.Collections.Generic;
using System.Globalization;

namespace Samsa.Protocol.Generator;

/// <summary>An inclusive range of versions; Highest is short.MaxValue for "N+"; empty for "none".</summary>
internal readonly struct VersionRange
{
    public VersionRange(short lowest, short highest)
    {
        Lowest = lowest;
        Highest = highest;
    }

    public short Lowest { get; }

    public short Highest { get; }

    public bool IsEmpty => Lowest > Highest;

    public static readonly VersionRange None = new VersionRange(1, 0);

    public static VersionRange Parse(string? text, string what)
    {
        if (text == null)
        {
            throw new FormatException(what + ": missing version range");
        }
        string t = text.Trim();
        if (t == "none")
        {
            return None;
        }
        if (t.EndsWith("+", StringComparison.Ordinal))
        {
            return new VersionRange(ParseShort(t.Substring(0, t.Length - 1), what), short.MaxValue);
        }
        int dash = t.IndexOf('-');
        if (dash > 0)
        {
            return new VersionRange(ParseShort(t.Substring(0, dash), what), ParseShort(t.Substring(dash + 1), what));
        }
        short v = ParseShort(t, what);
        return new VersionRange(v, v);
    }

    private static short ParseShort(string s, string what)
    {
        if (!short.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out short v))
        {
            throw new FormatException(what + ": bad version '" + s + "'");
        }
        return v;
    }

    public VersionRange Intersect(VersionRange other)
    {
        short lo = Math.Max(Lowest, other.Lowest);
        short hi = Math.Min(Highest, other.Highest);
        return lo > hi ? None : new VersionRange(lo, hi);
    }

    public bool Contains(VersionRange other) => other.IsEmpty || (Lowest <= other.Lowest && Highest >= other.Highest);

    /// <summary>A C# condition on the local 'version' that is true inside this range, given the message's valid range.</summary>
    public string Condition(VersionRange valid)
    {
        var r = Intersect(valid);
        if (r.IsEmpty)
        {
            return "false";
        }
        bool lowOpen = r.Lowest <= valid.Lowest;
        bool highOpen = r.Highest >= valid.Highest;
        if (lowOpen && highOpen)
        {
            return "true";
        }
        if (r.Lowest == r.Highest)
        {
            return "version == " + r.Lowest;
        }
        if (lowOpen)
        {
            return "version <= " + r.Highest;
        }
        if (highOpen)
        {
            return "version >= " + r.Lowest;
        }
        return "(version >= " + r.Lowest + " && version <= " + r.Highest + ")";
    }
}

internal enum FieldKind
{
    Bool,
    Int8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    Float64,
    Uuid,
    String,
    Bytes,
    Records,
    Struct,
}

/// <summary>One field of a message or struct.</summary>
internal sealed class FieldSpec
{
    public string Name = "";
    public bool IsArray;
    public FieldKind Kind;
    public string StructName = "";
    public StructSpec? Struct;
    public VersionRange Versions;
    public VersionRange NullableVersions = VersionRange.None;
    public VersionRange TaggedVersions = VersionRange.None;
    public int Tag = -1;
    public string? Default;
    public string? About;

    public bool IsTagged => Tag >= 0;

    public bool IsNullable => !NullableVersions.IsEmpty || Kind == FieldKind.Records;
}

/// <summary>A struct: the message itself or a nested type.</summary>
internal sealed class StructSpec
{
    public string Name = "";
    public List<FieldSpec> Fields = new List<FieldSpec>();
}

/// <summary>A whole schema file.</summary>
internal sealed class MessageSpec
{
    public string Name = "";
    public short ApiKey;
    public bool IsRequest;
    public VersionRange ValidVersions;
    public VersionRange FlexibleVersions;
    public StructSpec Root = new StructSpec();
    public List<StructSpec> NestedStructs = new List<StructSpec>();

    public static MessageSpec FromJson(object? json)
    {
        if (json is not Dictionary<string, object?> root)
        {
            throw new FormatException("the file must hold one JSON object");
        }
        var spec = new MessageSpec();
        spec.Name = GetString(root, "name", "message");
        spec.ApiKey = short.Parse(Get(root, "apiKey", spec.Name)?.ToString() ?? "", CultureInfo.InvariantCulture);
        string type = GetString(root, "type", spec.Name);
        if (type != "request" && type != "response")
        {
            throw new FormatException(spec.Name + ": type must be request or response");
        }
        spec.IsRequest = type == "request";
        spec.ValidVersions = VersionRange.Parse(GetString(root, "validVersions", spec.Name), spec.Name + ".validVersions");
        spec.FlexibleVersions = VersionRange.Parse(GetString(root, "flexibleVersions", spec.Name), spec.Name + ".flexibleVersions");
        var structs = new Dictionary<string, StructSpec>(StringComparer.Ordinal);
        var pending = new List<FieldSpec>();
        if (root.TryGetValue("commonStructs", out var common) && common is List<object?> commonList)
        {
            foreach (var item in commonList)
            {
                var obj = item as Dictionary<string, object?> ?? throw new FormatException(spec.Name + ": bad commonStructs entry");
                var s = new StructSpec { Name = GetString(obj, "name", spec.Name + ".commonStructs") };
                AddStruct(spec, structs, s);
                s.Fields = ParseFields(spec, structs, obj, pending, s.Name);
            }
        }
        spec.Root.Name = spec.Name;
        spec.Root.Fields = ParseFields(spec, structs, root, pending, spec.Name);
        foreach (var f in pending)
        {
            if (!structs.TryGetValue(f.StructName, out var s))
            {
                throw new FormatException(spec.Name + "." + f.Name + ": unknown type '" + f.StructName + "'");
            }
            f.Struct = s;
        }
        return spec;
    }

    private static void AddStruct(MessageSpec spec, Dictionary<string, StructSpec> structs, StructSpec s)
    {
        if (structs.ContainsKey(s.Name) || s.Name == spec.Name)
        {
            throw new FormatException(spec.Name + ": struct '" + s.Name + "' is declared twice");
        }
        structs.Add(s.Name, s);
        spec.NestedStructs.Add(s);
    }

    private static List<FieldSpec> ParseFields(
        MessageSpec spec, Dictionary<string, StructSpec> structs, Dictionary<string, object?> owner, List<FieldSpec> pending, string ownerName)
    {
        var result = new List<FieldSpec>();
        if (!owner.TryGetValue("fields", out var fieldsObj) || fieldsObj == null)
        {
            return result;
        }
        var tags = new HashSet<int>();
        foreach (var item in (List<object?>)fieldsObj)
        {
            var obj = item as Dictionary<string, object?> ?? throw new FormatException(ownerName + ": a field must be an object");
            var f = new FieldSpec();
            f.Name = GetString(obj, "name", ownerName);
            string where = ownerName + "." + f.Name;
            string type = GetString(obj, "type", where);
            if (type.StartsWith("[]", StringComparison.Ordinal))
            {
                f.IsArray = true;
                type = type.Substring(2);
            }
            f.Kind = KindOf(type);
            f.Versions = VersionRange.Parse(GetString(obj, "versions", where), where + ".versions");
            if (obj.TryGetValue("nullableVersions", out var nv) && nv != null)
            {
                f.NullableVersions = VersionRange.Parse(nv.ToString(), where + ".nullableVersions");
                if (!f.IsArray && f.Kind != FieldKind.String && f.Kind != FieldKind.Bytes && f.Kind != FieldKind.Records && f.Kind != FieldKind.Struct)
                {
                    throw new FormatException(where + ": only strings, bytes, records, arrays and structs can be nullable");
                }
            }
            if (obj.TryGetValue("taggedVersions", out var tv) && tv != null)
            {
                f.TaggedVersions = VersionRange.Parse(tv.ToString(), where + ".taggedVersions");
                if (!obj.TryGetValue("tag", out var tag) || tag == null)
                {
                    throw new FormatException(where + ": taggedVersions needs a tag");
                }
                f.Tag = int.Parse(tag.ToString(), CultureInfo.InvariantCulture);
                if (!tags.Add(f.Tag))
                {
                    throw new FormatException(where + ": tag " + f.Tag + " is used twice");
                }
                if (!spec.FlexibleVersions.Contains(f.TaggedVersions.Intersect(spec.ValidVersions)))
                {
                    throw new FormatException(where + ": tagged versions must be flexible versions");
                }
            }
            else if (obj.ContainsKey("tag"))
            {
                throw new FormatException(where + ": a tag needs taggedVersions");
            }
            if (obj.TryGetValue("default", out var def) && def != null)
            {
                f.Default = def is bool b ? (b ? "true" : "false") : def.ToString();
            }
            if (obj.TryGetValue("about", out var about) && about != null)
            {
                f.About = about.ToString();
            }
            if (f.Kind == FieldKind.Struct)
            {
                f.StructName = type;
                if (obj.TryGetValue("fields", out var nested) && nested != null)
                {
                    var s = new StructSpec { Name = type };
                    AddStruct(spec, structs, s);
                    s.Fields = ParseFields(spec, structs, obj, pending, type);
                }
                pending.Add(f);
            }
            else if (obj.ContainsKey("fields"))
            {
                throw new FormatException(where + ": only struct types have fields");
            }
            result.Add(f);
        }
        return result;
    }

    private static FieldKind KindOf(string type)
    {
        switch (type)
        {
            case "bool": return FieldKind.Bool;
            case "int8": return FieldKind.Int8;
            case "int16": return FieldKind.Int16;
            case "uint16": return FieldKind.UInt16;
            case "int32": return FieldKind.Int32;
            case "uint32": return FieldKind.UInt32;
            case "int64": return FieldKind.Int64;
            case "float64": return FieldKind.Float64;
            case "uuid": return FieldKind.Uuid;
            case "string": return FieldKind.String;
            case "bytes": return FieldKind.Bytes;
            case "records": return FieldKind.Records;
            default:
                if (type.Length == 0 || !char.IsUpper(type[0]))
                {
                    throw new FormatException("unknown type '" + type + "'");
                }
                return FieldKind.Struct;
        }
    }

    private static object? Get(Dictionary<string, object?> obj, string key, string where)
    {
        if (!obj.TryGetValue(key, out var v) || v == null)
        {
            throw new FormatException(where + ": missing '" + key + "'");
        }
        return v;
    }

    private static string GetString(Dictionary<string, object?> obj, string key, string where) => Get(obj, key, where)!.ToString();
}
