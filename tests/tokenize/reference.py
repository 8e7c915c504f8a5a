#!/usr/bin/python3
"""Reference GPT-2 byte-level BPE and bert-base-uncased WordPiece tokenizers.

An independent implementation, written from the published descriptions of the two
algorithms (OpenAI's GPT-2 encoder and Google's BERT BasicTokenizer +
WordpieceTokenizer), used only to produce the expected ids that the C++ tests check.
It needs the Python standard library and the `regex` module (Debian: python3-regex),
which is the engine GPT-2's own pre-tokenisation pattern was written for.

    /usr/bin/python3 tests/tokenize/reference.py --vocab build/vocab            # rewrite the four case files
    /usr/bin/python3 tests/tokenize/reference.py --vocab build/vocab --check    # exit 1 if they are stale
    /usr/bin/python3 tests/tokenize/reference.py --vocab build/vocab --classes  # character-class table
    /usr/bin/python3 tests/tokenize/reference.py --vocab build/vocab --encode gpt2 "some text"

The vocabulary folder must hold gpt2/encoder.json, gpt2/vocab.bpe and
bert-base-uncased/vocab.txt; their SHA-256 hashes are checked against the published
files before anything is written.
"""
import argparse
import hashlib
import json
import sys
import re
import unicodedata
from pathlib import Path

try:
    import regex
except ImportError:  # pragma: no cover - message for a machine without python3-regex
    sys.exit("reference.py needs the `regex` module: apt-get install python3-regex, "
             "then run it with /usr/bin/python3")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

SHA256 = {
    "gpt2/encoder.json": "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
    "gpt2/vocab.bpe": "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
    "bert-base-uncased/vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}

# ---------------------------------------------------------------------------------------
# GPT-2: byte-level BPE
# ---------------------------------------------------------------------------------------

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def byte_to_char_table():
    """Byte b -> the character GPT-2 shows it as.

    The printable bytes 33..126, 161..172 and 174..255 stand for themselves; the other
    68 bytes (0..32, 127..160, 173), taken in increasing order, become U+0100, U+0101, ...
    U+0143.
    """
    kept = set(range(33, 127)) | set(range(161, 173)) | set(range(174, 256))
    table = {}
    extra = 0
    for b in range(256):
        if b in kept:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    assert extra == 68
    return table


class GPT2:
    def __init__(self, folder: Path):
        with open(folder / "encoder.json", encoding="utf-8") as f:
            self.token_to_id = json.load(f)
        self.id_to_token = {i: t for t, i in self.token_to_id.items()}
        lines = (folder / "vocab.bpe").read_text(encoding="utf-8").split("\n")
        if not lines[0].startswith("#version"):
            raise ValueError("vocab.bpe: first line is not a #version line")
        self.rank = {}
        for number, line in enumerate(lines[1:], start=2):
            if line == "":
                continue
            parts = line.split(" ")
            if len(parts) != 2:
                raise ValueError(f"vocab.bpe line {number}: not two tokens: {line!r}")
            self.rank[(parts[0], parts[1])] = len(self.rank)
        self.byte_to_char = byte_to_char_table()
        self.char_to_byte = {c: b for b, c in self.byte_to_char.items()}
        self.pattern = regex.compile(GPT2_PATTERN)
        self.cache = {}

    def pieces(self, text: str):
        """Pre-tokenisation: the matches of GPT-2's pattern, which cover the text."""
        found = self.pattern.findall(text)
        assert "".join(found) == text
        return found

    def bpe(self, symbols: str):
        """Merge the piece's characters: always the adjacent pair of lowest rank, every
        non-overlapping occurrence of it from left to right, until no pair has a rank."""
        if symbols in self.cache:
            return self.cache[symbols]
        word = list(symbols)
        while len(word) > 1:
            best = None
            best_rank = None
            for pair in zip(word, word[1:]):
                r = self.rank.get(pair)
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = pair, r
            if best is None:
                break
            merged = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == best[0] and word[i + 1] == best[1]:
                    merged.append(best[0] + best[1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        self.cache[symbols] = word
        return word

    def tokens(self, text: str):
        out = []
        for piece in self.pieces(text):
            shown = "".join(self.byte_to_char[b] for b in piece.encode("utf-8"))
            out.extend(self.bpe(shown))
        return out

    def encode(self, text: str):
        toks = self.tokens(text)
        return [self.token_to_id[t] for t in toks], toks

    def decode(self, ids):
        data = bytes(self.char_to_byte[c] for i in ids for c in self.id_to_token[i])
        return data.decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------------------
# BERT (uncased): basic tokenizer + WordPiece
# ---------------------------------------------------------------------------------------

CJK_RANGES = [
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
]


def bert_is_whitespace(c: str) -> bool:
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def bert_is_control(c: str) -> bool:
    # Hugging Face's BertTokenizer (what the seed's BertTokenizer.from_pretrained runs)
    # drops every category C*: control, format, private use, unassigned. Google's
    # original tokenization.py dropped only Cc and Cf (see README).
    if c in "\t\n\r":
        return False
    return unicodedata.category(c).startswith("C")


def bert_is_punctuation(c: str) -> bool:
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def bert_is_cjk(c: str) -> bool:
    cp = ord(c)
    return any(lo <= cp <= hi for lo, hi in CJK_RANGES)


class BertUncased:
    MAX_WORD_CHARS = 100

    def __init__(self, vocab_txt: Path):
        lines = vocab_txt.read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        self.token_to_id = {}
        for i, t in enumerate(lines):
            if t in self.token_to_id:
                raise ValueError(f"vocab.txt: {t!r} listed twice")
            self.token_to_id[t] = i
        self.id_to_token = lines
        self.unk, self.cls, self.sep = "[UNK]", "[CLS]", "[SEP]"

    @staticmethod
    def clean(text: str) -> str:
        out = []
        for c in text:
            if ord(c) in (0, 0xFFFD) or bert_is_control(c):
                continue
            out.append(" " if bert_is_whitespace(c) else c)
        return "".join(out)

    @staticmethod
    def space_cjk(text: str) -> str:
        return "".join(f" {c} " if bert_is_cjk(c) else c for c in text)

    @staticmethod
    def strip_accents(word: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFD", word)
                       if unicodedata.category(c) != "Mn")

    @staticmethod
    def split_punctuation(word: str):
        out = []
        current = []
        for c in word:
            if bert_is_punctuation(c):
                if current:
                    out.append("".join(current))
                    current = []
                out.append(c)
            else:
                current.append(c)
        if current:
            out.append("".join(current))
        return out

    def basic_tokens(self, text: str):
        text = self.space_cjk(self.clean(text))
        words = []
        # str.split() with no argument: Python's whitespace (str.isspace), which after
        # clean() leaves " " and the two separators U+2028 and U+2029 (see README).
        for word in text.split():
            word = self.strip_accents(word.lower())
            words.extend(self.split_punctuation(word))
        return " ".join(words).split()

    def wordpiece(self, word: str):
        if len(word) > self.MAX_WORD_CHARS:
            return [self.unk]
        out = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                sub = word[start:end]
                if start > 0:
                    sub = "##" + sub
                if sub in self.token_to_id:
                    found = sub
                    break
                end -= 1
            if found is None:
                return [self.unk]
            out.append(found)
            start = end
        return out

    # Special tokens written in the text stand for themselves, as in Hugging Face's
    # BertTokenizer ("Hello, my [MASK] is cute." holds id 103); case-sensitive.
    SPECIAL = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

    def tokens(self, text: str):
        out = [self.cls]
        pattern = "(" + "|".join(re.escape(t) for t in self.SPECIAL) + ")"
        for chunk in re.split(pattern, text):
            if chunk in self.SPECIAL:
                out.append(chunk)
                continue
            for word in self.basic_tokens(chunk):
                out.extend(self.wordpiece(word))
        out.append(self.sep)
        return out

    def encode(self, text: str):
        toks = self.tokens(text)
        return [self.token_to_id[t] for t in toks], toks


# ---------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------

# (name, text). Every case goes to both files. Non-ASCII is written as escapes where
# the character is invisible or easily confused.
CASES = [
    # anchors
    ("anchor_gpt2_hello_world", "Hello world"),
    ("anchor_bert_hello_dog", "Hello, my dog is cute"),
    ("empty", ""),
    ("single_space", " "),
    ("single_letter", "a"),
    ("single_newline", "\n"),
    # plain English and capitals
    ("plain_sentence", "The quick brown fox jumps over the lazy dog."),
    ("plain_paragraph", "Tokenizers turn text into integers. Each integer names a token in the vocabulary, and the model never sees the raw characters."),
    ("capitals_mixed", "HELLO World hElLo WoRlD"),
    ("acronyms", "NASA and the USA signed the NATO treaty in 1949."),
    # accents and case
    ("accents_french", "caf\u00e9 r\u00e9sum\u00e9 na\u00efve fa\u00e7ade"),
    ("accents_spanish", "El ni\u00f1o comi\u00f3 pi\u00f1ata ma\u00f1ana. \u00a1S\u00ed! \u00bfQu\u00e9?"),
    ("accents_capital_a_ring", "\u00c5ngstr\u00f6m \u00c5land \u00c5\u00c4\u00d6"),
    ("accents_uppercase_word", "\u00c9COLE \u00c9cole \u00e9cole"),
    ("combining_acute_decomposed", "cafe\u0301"),
    ("combining_vs_precomposed", "caf\u00e9 vs cafe\u0301"),
    ("combining_uppercase", "E\u0301COLE"),
    ("combining_mark_alone", "\u0301"),
    ("combining_mark_after_space", "a \u0301 b"),
    ("combining_stack", "Z\u0351\u036b\u0343a\u0308\u0332l\u0360g\u0489o"),
    ("vietnamese", "Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u"),
    ("polish_czech_no_decomposition", "\u0141\u00f3d\u017a \u017c\u00f3\u0142\u0107 P\u0159\u00edli\u0161 \u00d8 \u00e6 \u0153"),
    ("german_eszett", "Stra\u00dfe Fu\u00dfball gro\u00df"),
    ("german_capital_eszett", "GRO\u1e9e STRASSE"),
    ("greek_final_sigma", "\u039f\u0394\u039f\u03a3 \u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3 \u03c3\u03bf\u03c6\u03cc\u03c2 \u03a3\u0391"),
    ("turkish_dotted_capital_i", "\u0130stanbul \u0131s\u0131k"),
    ("titlecase_digraph", "\u01c5ungla \u01c4"),
    ("not_equal_decomposes", "a\u2260b \u2264 \u226e"),
    ("kelvin_angstrom_signs", "5\u212a and 3\u212b"),
    ("ligatures", "\ufb01nance \ufb02ow"),
    ("fullwidth_forms", "\uff21\uff22\uff23\uff11\uff12\uff13\uff01"),
    # CJK
    ("chinese_no_spaces", "\u6211\u7231\u81ea\u7136\u8bed\u8a00\u5904\u7406"),
    ("chinese_with_spaces", "\u6211 \u7231 \u81ea\u7136 \u8bed\u8a00 \u5904\u7406"),
    ("chinese_mixed_latin", "\u6df1\u5ea6\u5b66\u4e60deep learning\u6a21\u578b"),
    ("chinese_punctuation", "\u4f60\u597d\uff0c\u4e16\u754c\uff01\u300c\u5f15\u53f7\u300d"),
    ("japanese_kana", "\u3053\u3093\u306b\u3061\u306f\u3001\u30ab\u30bf\u30ab\u30ca\u3068\u3072\u3089\u304c\u306a\u3002"),
    ("japanese_kanji_kana", "\u6771\u4eac\u306f\u65e5\u672c\u306e\u9996\u90fd\u3067\u3059\u3002"),
    ("korean_hangul", "\uc548\ub155\ud558\uc138\uc694 \uc138\uacc4"),
    ("cjk_extension_b", "\U00020000\U00020001 \U0002a6d6"),
    ("cjk_compatibility_ideograph", "\uf900\uf901"),
    # emoji
    ("emoji_single", "I love \U0001f355!"),
    ("emoji_run", "\U0001f600\U0001f603\U0001f604"),
    ("emoji_skin_tone", "\U0001f44d\U0001f3fd thumbs up"),
    ("emoji_zwj_family", "\U0001f469\u200d\U0001f469\u200d\U0001f467"),
    ("emoji_zwj_in_text", "family: \U0001f469\u200d\U0001f469\u200d\U0001f467 ok"),
    ("emoji_flags", "\U0001f1fa\U0001f1f8\U0001f1eb\U0001f1f7\U0001f1ef\U0001f1f5"),
    ("emoji_variation_selector", "\u2764\ufe0f heart"),
    ("emoji_between_spaces", "I \u2764 you"),
    # numbers
    ("numbers_long", "1234567890123456789"),
    ("numbers_decimal", "3.14159 and 2.71828"),
    ("numbers_commas_currency", "1,000,000 people paid $1,234.56"),
    ("numbers_with_letters", "abc123def 4th 21st 1990s"),
    ("numbers_superscript_fraction_roman", "x\u00b2 + y\u00b3 = \u00bd \u2153 \u216b \u2460"),
    ("numbers_other_scripts", "\u0663\u0664\u0665 \u0967\u0968\u0969"),
    ("numbers_space_then_digits", " 123 abc"),
    # contractions
    ("contractions_lower", "it's don't you're we've I'm we'll he'd"),
    ("contractions_upper", "IT'S DON'T YOU'RE WE'VE I'M WE'LL HE'D"),
    ("contraction_capital_s", "JOHN'S car"),
    ("contractions_curly", "don\u2019t it\u2019s I\u2019m"),
    ("apostrophe_edges", "'s 'tis rock'n'roll '' 'll've"),
    ("quotes_ascii", "\"Hello,\" she said. 'Yes.'"),
    ("quotes_dashes_unicode", "\u201cSmart quotes\u201d \u2014 em dash \u2013 en dash \u2026"),
    # whitespace
    ("spaces_runs", "a  b   c    d"),
    ("spaces_leading", "   leading"),
    ("spaces_trailing", "trailing   "),
    ("spaces_only", "     "),
    ("newline_simple", "line1\nline2"),
    ("newlines_multiple", "para one.\n\npara two.\n\n\n"),
    ("newline_after_space", "a \nb"),
    ("crlf", "first\r\nsecond\r\n"),
    ("tabs", "col1\tcol2\t\tcol3"),
    ("whitespace_mixed", " \t\n \r\n x"),
    ("trailing_newline", "end\n"),
    # control characters
    ("control_nul", "a\x00b"),
    ("control_bell_escape", "ring\x07 the \x1b[31mred\x1b[0m"),
    ("control_del", "del\x7fete"),
    ("control_vt_ff", "a\x0bb\x0cc"),
    ("control_info_separators", "a\x1cb\x1dc\x1ed\x1fe"),
    ("control_next_line_u0085", "a\x85b"),
    ("control_only", "\x00\x07\x1b\x7f"),
    # zero-width, format and special spaces
    ("zero_width_space", "zero\u200bwidth"),
    ("zero_width_joiner_non_joiner", "a\u200db\u200cc"),
    ("byte_order_mark", "\ufeffBOM at start"),
    ("soft_hyphen", "soft\u00adhyphen"),
    ("mongolian_vowel_separator", "a\u180eb"),
    ("nbsp_number", "100\u00a0km"),
    ("nbsp_between_words", "hello\u00a0world"),
    ("ideographic_space", "\u65e5\u672c\u3000\u8a9e a\u3000b"),
    ("other_unicode_spaces", "a\u2002b\u2009c\u202fd\u205fe\u1680f"),
    ("line_paragraph_separators", "a\u2028b\u2029c"),
    ("replacement_character", "bad\ufffdchar"),
    ("private_use", "x\ue000y"),
    ("noncharacter_uffff", "x\uffffy"),
    # long words
    ("word_100_chars", "a" * 100),
    ("word_101_chars", "a" * 101),
    ("word_100_precomposed_accents", "\u00e9" * 100),
    ("word_101_precomposed_accents", "\u00e9" * 101),
    ("word_60_decomposed_accents", "e\u0301" * 60),
    ("word_60_cyrillic", "\u0436" * 60),
    ("word_very_long", "pneumonoultramicroscopicsilicovolcanoconiosis" * 3),
    ("word_long_then_short", "x" * 120 + " ok"),
    ("repeated_chars", "aaaaaaaaaa hmmmmmmm ========"),
    # URLs, code, markup
    ("url", "https://www.example.com/path?query=1&lang=en#frag"),
    ("email", "contact: john.doe+test@example.org"),
    ("code_cpp", "int main() { return 0; }"),
    ("code_python", "def f(x):\n    return x**2  # square\n"),
    ("code_indented", "    if (a != b) {\n        a += 1;\n    }"),
    ("html", "<p class=\"x\">Hi &amp; bye</p>"),
    ("json_text", "{\"key\": [1, 2.5, null]}"),
    ("hashtags_mentions", "#deeplearning @user ##double"),
    ("special_token_literals", "<|endoftext|> [CLS] [SEP] [MASK] [UNK]"),
    ("mask_in_sentence", "Hello, my [MASK] is cute."),
    ("special_tokens_glued_and_lower_case", "a[MASK]b [mask] [Mask] [SEP][SEP]"),
    # punctuation
    ("punct_exclaim", "Wow!!!"),
    ("punct_ellipsis", "Wait... what?!"),
    ("punct_dashes", "well--maybe -- or --- not"),
    ("punct_mix", "?!?! ... !!! ,,, ;;"),
    ("punct_leading_space", " !hello"),
    # symbols
    ("math_symbols", "\u2211\u1d62 x\u1d62 \u2264 \u221e \u00b1 \u221a2 \u00d7 \u03c0 \u00f7 \u2260 \u2202f/\u2202x"),
    ("math_alphanumerics_astral", "\U0001d400\U0001d401\U0001d402 \U0001d7cf\U0001d7d0"),
    ("currency", "\u20ac100 \u00a350 \u00a51000 \u20b9500 $5"),
    # other scripts
    ("mixed_scripts", "Hello \u043c\u0438\u0440 \u4e16\u754c \u0645\u0631\u062d\u0628\u0627 \u05e9\u05dc\u05d5\u05dd"),
    ("cyrillic", "\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430?"),
    ("arabic", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645"),
    ("arabic_harakat", "\u0645\u064e\u0631\u0652\u062d\u064e\u0628\u064b\u0627"),
    ("hebrew_niqqud", "\u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd \u05e2\u05d5\u05dc\u05dd"),
    ("devanagari", "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e"),
    ("thai", "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a"),
    # GPT-2 pre-tokenisation boundaries (told apart by gpt2_pieces_cases.jsonl: for
    # U+001C..U+001F the ids alone cannot show it, no GPT-2 token joins those bytes)
    ("boundary_separator_after_space", " \x1cb"),
    ("boundary_separator_in_punctuation", "!\x1c!"),
    ("boundary_separator_then_spaces", "a\x1c  b"),
    ("boundary_separator_run_before_word", "\x1c\x1f word"),
    ("boundary_nel_between_spaces", "a \x85 b"),
    ("boundary_nbsp_run_before_word", "a\u00a0\u00a0b"),
    ("boundary_zwsp_after_space", "a \u200bb"),
    ("boundary_tab_before_word", "a\tb"),
    ("boundary_spaces_newline_at_end", "a  \n"),
    ("boundary_mixed_whitespace_before_punct", "a \t !"),
    ("boundary_space_digits_letters", "x 1a"),
    ("boundary_contractions_chained", "it'sn't"),
    ("boundary_apostrophe_space", "' s"),
]

# GPT-2 decoding: ids -> text, including cut characters (errors="replace": each maximal
# ill-formed subsequence becomes one U+FFFD, as Python's UTF-8 decoder does).
# Each case is (name, bytes); the ids are those of the single-byte tokens, so the
# case exercises the byte reassembly and the replacement policy.
DECODE_BYTE_CASES = [
    ("ascii", b"Hello world"),
    ("emoji_complete", "\U0001f355".encode("utf-8")),
    ("emoji_first_byte_only", b"\xf0"),
    ("emoji_three_of_four_bytes", b"\xf0\x9f\x8d"),
    ("emoji_cut_then_ascii", b"\xf0\x9f\x8dab"),
    ("lone_continuation_bytes", b"a\x80\x80b"),
    ("two_byte_char_cut", b"\xc3"),
    ("overlong_slash", b"\xc0\xaf"),
    ("encoded_surrogate", b"\xed\xa0\x80"),
    ("byte_f5_never_valid", b"x\xf5y"),
    ("byte_ff_never_valid", b"\xff"),
    ("above_u10ffff", b"\xf4\x90\x80\x80"),
]


def check_text(name: str, text: str):
    """Every case text is valid UTF-8 and uses only characters assigned in Unicode 14
    (Python's unicodedata), whose general category the regex module (Unicode 15) agrees
    with, so the expected ids do not depend on the Unicode version of either side."""
    text.encode("utf-8")  # raises on a lone surrogate
    for c in text:
        cat = unicodedata.category(c)
        if cat == "Cn" and c != "\uffff":
            raise ValueError(f"case {name}: {ord(c):04X} unassigned in Unicode {unicodedata.unidata_version}")
        if c != "\uffff" and not regex.match(r"\p{gc=" + cat + r"}", c):
            raise ValueError(f"case {name}: U+{ord(c):04X} category differs between unicodedata and regex")


def anchors(gpt2: GPT2, bert: BertUncased):
    expected = [
        (gpt2.encode("Hello world")[0], [15496, 995]),
        (gpt2.encode("")[0], []),
        (bert.encode("Hello, my dog is cute")[0], [101, 7592, 1010, 2026, 3899, 2003, 10140, 102]),
        (bert.encode("")[0], [101, 102]),
    ]
    for got, want in expected:
        if got != want:
            raise AssertionError(f"anchor failed: got {got}, want {want}")


def line(obj) -> str:
    # Pure ASCII: non-ASCII as \uXXXX (surrogate pairs above U+FFFF); DEL, which JSON
    # would allow raw, escaped too so that every byte of the file is printable.
    return json.dumps(obj, ensure_ascii=True).replace("\x7f", "\\u007f") + "\n"


def generate(gpt2: GPT2, bert: BertUncased):
    names = [n for n, _ in CASES]
    if len(set(names)) != len(names):
        raise ValueError("duplicate case names")
    gpt2_lines, bert_lines, decode_lines, piece_lines = [], [], [], []
    for name, text in CASES:
        check_text(name, text)
        piece_lines.append(line({"name": name, "text": text, "pieces": gpt2.pieces(text)}))
        ids, toks = gpt2.encode(text)
        if gpt2.decode(ids) != text:
            raise AssertionError(f"GPT-2 round trip failed for {name}")
        gpt2_lines.append(line({"name": name, "text": text, "ids": ids, "tokens": toks}))
        ids, toks = bert.encode(text)
        bert_lines.append(line({"name": name, "text": text, "ids": ids, "tokens": toks}))
    for name, data in DECODE_BYTE_CASES:
        ids = [gpt2.token_to_id[gpt2.byte_to_char[b]] for b in data]
        decode_lines.append(line({"name": name, "ids": ids, "text": data.decode("utf-8", errors="replace")}))
    return {
        "gpt2_cases.jsonl": "".join(gpt2_lines),
        "bert_cases.jsonl": "".join(bert_lines),
        "gpt2_decode_cases.jsonl": "".join(decode_lines),
        "gpt2_pieces_cases.jsonl": "".join(piece_lines),
    }


def verify_hashes(vocab: Path):
    for rel, want in SHA256.items():
        path = vocab / rel
        if not path.is_file():
            sys.exit(f"missing {path}: fetch the published vocabulary files into {vocab} first")
        got = hashlib.sha256(path.read_bytes()).hexdigest()
        if got != want:
            sys.exit(f"{path}: SHA-256 {got}, expected {want} (not the published file)")


# Characters whose class membership is worth stating (README's table).
CLASS_TABLE_CHARS = [
    0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x27, 0x00, 0x07, 0x1B, 0x7F,
    0x85, 0xA0, 0xAD, 0xB2, 0xBD, 0xB5, 0xAA, 0x2B0, 0x1D62, 0x0301, 0x0489, 0x094D, 0x0947,
    0x093F, 0x0E31, 0x05B8, 0x064E, 0x0663, 0x0967, 0x1680, 0x180E, 0x2002, 0x2009, 0x200B,
    0x200C, 0x200D, 0x2019, 0x2028, 0x2029, 0x202F, 0x205F, 0x2153, 0x216B, 0x2460, 0x3000,
    0x3001, 0x3002, 0x30AB, 0xFE0F, 0xFEFF, 0xFF01, 0xFF21, 0xFF11, 0xFFFD, 0xFFFF, 0xE000,
    0x20AC, 0xD7, 0xB1, 0x221E, 0x1F355, 0x1F3FD, 0x1F1FA, 0x1D400, 0x1D7CF, 0x1100, 0x1161,
    0x11AB, 0xAC00, 0x4E00, 0x20000, 0xF900, 0x212A, 0x212B, 0x1E9E, 0x130, 0x3A3,
    0x24, 0x2B, 0x3C, 0x5E, 0x60, 0x7C, 0x7E,
]


def class_table():
    s, L, N = regex.compile(r"\s"), regex.compile(r"\p{L}"), regex.compile(r"\p{N}")
    yn = lambda b: "yes" if b else "no"
    rows = ["| code point | name | gc | GPT-2 `\\s` | GPT-2 `\\p{L}` | GPT-2 `\\p{N}` | BERT clean | BERT punct | BERT CJK |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for cp in sorted(CLASS_TABLE_CHARS):
        c = chr(cp)
        cat = unicodedata.category(c)
        if cp in (0, 0xFFFD):
            clean = "dropped (explicitly)"
        elif bert_is_control(c):
            clean = "dropped (control)"
        elif bert_is_whitespace(c):
            clean = "space"
        elif c.isspace():
            clean = "kept, but splits words (str.split)"
        else:
            clean = "kept"
        name = unicodedata.name(c, "(control)" if cat == "Cc" else "(" + cat + ")")
        rows.append(f"| U+{cp:04X} | {name} | {cat} | {yn(s.match(c))} | {yn(L.match(c))} | {yn(N.match(c))} | "
                    f"{clean} | {yn(bert_is_punctuation(c))} | {yn(bert_is_cjk(c))} |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocab", default=str(REPO / "build" / "vocab"),
                    help="folder with gpt2/ and bert-base-uncased/ (default: build/vocab)")
    ap.add_argument("--out", default=str(HERE), help="where the case files go (default: this folder)")
    ap.add_argument("--check", action="store_true", help="only compare; exit 1 if a file differs")
    ap.add_argument("--classes", action="store_true", help="print the character-class table")
    ap.add_argument("--encode", nargs=2, metavar=("MODEL", "TEXT"), help="print ids and tokens of TEXT (gpt2|bert)")
    args = ap.parse_args()

    if args.classes:
        print(f"regex {regex.__version__}, unicodedata {unicodedata.unidata_version}")
        print(class_table())
        return 0

    vocab = Path(args.vocab)
    verify_hashes(vocab)
    gpt2 = GPT2(vocab / "gpt2")
    bert = BertUncased(vocab / "bert-base-uncased" / "vocab.txt")
    anchors(gpt2, bert)

    if args.encode:
        model, text = args.encode
        tok = gpt2 if model == "gpt2" else bert
        if model == "gpt2":
            print("pieces:", gpt2.pieces(text))
        else:
            print("basic:", bert.basic_tokens(text))
        ids, toks = tok.encode(text)
        print("ids:", ids)
        print("tokens:", toks)
        return 0

    files = generate(gpt2, bert)
    out = Path(args.out)
    stale = []
    for name, content in files.items():
        path = out / name
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == content:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(content, encoding="utf-8")
    counts = ", ".join(f"{n}: {c.count(chr(10))}" for n, c in files.items())
    if args.check:
        if stale:
            print("stale (rerun without --check): " + ", ".join(stale), file=sys.stderr)
            return 1
        print(f"case files are current ({counts})")
        return 0
    print(f"wrote {', '.join(stale) if stale else 'nothing (already current)'} ({counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
