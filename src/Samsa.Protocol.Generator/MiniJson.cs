using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Samsa.Protocol.Generator;

/// <summary>
/// A small JSON reader for the schema files (netstandard2.0 generators cannot count on System.Text.Json).
/// Accepts // line comments. Objects become Dictionary&lt;string, object?&gt;, arrays List&lt;object?&gt;,
/// numbers are kept as their source text so that int64 defaults lose nothing.
/// </summary>
internal sealed class MiniJson
{
    private readonly string _text;
    private int _pos;

    private MiniJson(string text) => _text = text;

    public static object? Parse(string text)
    {
        var parser = new MiniJson(text);
        var value = parser.ReadValue();
        parser.SkipWhitespace();
        if (parser._pos != parser._text.Length)
        {
            throw parser.Error("unexpected text after the value");
        }
        return value;
    }

    private object? ReadValue()
    {
        SkipWhitespace();
        if (_pos >= _text.Length)
        {
            throw Error("unexpected end of input");
        }
        char c = _text[_pos];
        switch (c)
        {
            case '{': return ReadObject();
            case '[': return ReadArray();
            case '"': return ReadString();
            case 't': Expect("true"); return true;
            case 'f': Expect("false"); return false;
            case 'n': Expect("null"); return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    int start = _pos;
                    while (_pos < _text.Length && "+-0123456789.eExX".IndexOf(_text[_pos]) >= 0)
                    {
                        _pos++;
                    }
                    return new JsonNumber(_text.Substring(start, _pos - start));
                }
                throw Error("unexpected character '" + c + "'");
        }
    }

    private Dictionary<string, object?> ReadObject()
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        _pos++;
        SkipWhitespace();
        if (Peek() == '}')
        {
            _pos++;
            return result;
        }
        while (true)
        {
            SkipWhitespace();
            if (Peek() != '"')
            {
                throw Error("expected a property name");
            }
            string key = ReadString();
            SkipWhitespace();
            if (Peek() != ':')
            {
                throw Error("expected ':'");
            }
            _pos++;
            result[key] = ReadValue();
            SkipWhitespace();
            char c = Peek();
            _pos++;
            if (c == '}')
            {
                return result;
            }
            if (c != ',')
            {
                throw Error("expected ',' or '}'");
            }
        }
    }

    private List<object?> ReadArray()
    {
        var result = new List<object?>();
        _pos++;
        SkipWhitespace();
        if (Peek() == ']')
        {
            _pos++;
            return result;
        }
        while (true)
        {
            result.Add(ReadValue());
            SkipWhitespace();
            char c = Peek();
            _pos++;
            if (c == ']')
            {
                return result;
            }
            if (c != ',')
            {
                throw Error("expected ',' or ']'");
            }
        }
    }

    private string ReadString()
    {
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length)
            {
                throw Error("unterminated string");
            }
            char c = _text[_pos++];
            if (c == '"')
            {
                return sb.ToString();
            }
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            char e = _text[_pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'u':
                    sb.Append((char)int.Parse(_text.Substring(_pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    _pos += 4;
                    break;
                default: sb.Append(e); break;
            }
        }
    }

    private void Expect(string word)
    {
        if (string.CompareOrdinal(_text, _pos, word, 0, word.Length) != 0)
        {
            throw Error("expected '" + word + "'");
        }
        _pos += word.Length;
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private void SkipWhitespace()
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (char.IsWhiteSpace(c))
            {
                _pos++;
            }
            else if (c == '/' && _pos + 1 < _text.Length && _text[_pos + 1] == '/')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                return;
            }
        }
    }

    private FormatException Error(string message)
    {
        int line = 1;
        for (int i = 0; i < _pos && i < _text.Length; i++)
        {
            if (_text[i] == '\n')
            {
                line++;
            }
        }
        return new FormatException("line " + line + ": " + message);
    }
}

/// <summary>A JSON number kept as written.</summary>
internal sealed class JsonNumber
{
    public JsonNumber(string text) => Text = text;

    public string Text { get; }

    public override string ToString() => Text;
}
