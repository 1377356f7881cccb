namespace Baton.Data;

/// <summary>How text is cut into tokens.</summary>
internal enum TokenKind
{
    /// <summary>One token per Unicode scalar value (a Rune): Chinese characters, emoji and combining marks each count once.</summary>
    Chars,

    /// <summary>One token per UTF-8 byte (256 possible tokens).</summary>
    Bytes,
}
