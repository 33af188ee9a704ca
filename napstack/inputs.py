"""Reading what a user hands napstack (configs, events, scenarios, fault files) without guessing.

Text is UTF-8; a byte-order mark (UTF-8, or UTF-16 as Windows editors write it) says otherwise and is
honoured; anything else that does not decode is a named error, never a traceback. YAML is read with
duplicate keys refused (PyYAML keeps the last one silently), and a scalar's text can be had exactly as
written (YAML 1.1 turns `1.20` into 1.2 and `yes` into True).
"""

from __future__ import annotations

import codecs
import json
import stat
from pathlib import Path

import yaml

MAX_NESTING = 50  # deeper than any config, event or scenario napstack reads
# Larger than any config, scenario or fault file, and than any event AWS delivers (EventBridge: 256 KB; a
# CloudWatch Logs delivery to Lambda: at most 1 MB of log events before compression).
MAX_FILE_BYTES = 1024 ** 2
MAX_VALUES = 1_000_000  # keys, values and list items, aliases expanded: more than a file of MAX_FILE_BYTES holds


class InputError(Exception):
    """A file that cannot be read as text or YAML; the message names the file and what is wrong."""


BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _read_bytes(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of a regular file. A device (/dev/zero), a FIFO or a socket is refused before it is
    opened (opening a FIFO waits for a writer; reading /dev/zero never ends), and nothing larger than any file
    napstack reads is held in memory."""
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise InputError(f"{path}: is a folder, not a file")
        if not stat.S_ISREG(mode):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
            raise InputError(f"{path}: is {kind}, not a file: save what it holds to a file and give that")
        with path.open("rb") as file:
            data = file.read(limit + 1)  # a regular file may still grow, or lie about its size (/proc)
    except OSError as error:
        raise InputError(f"{path}: cannot read the file ({error.strerror or error})") from None
    if len(data) > limit:
        raise InputError(f"{path}: larger than {limit // 1024 ** 2} MiB, more than any napstack file holds: is it the right file?")
    return data


def read_text(path: str | Path, limit: int = MAX_FILE_BYTES) -> str:
    path = Path(path)
    data = _read_bytes(path, limit)
    encoding = next((name for bom, name in BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path}: not UTF-8 text (byte {error.start} is {data[error.start:error.start + 1]!r}): save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise InputError(f"{path}: holds NUL characters, so it is not a text file: save it as UTF-8 text")
    return text


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping, and absurd nesting."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise yaml.constructor.ConstructorError(None, None, "a key must be text, not a list or mapping", key_node.start_mark)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice (first at line {seen[key].line + 1}); keep one", key_node.start_mark
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep)


def _depth(node, limit: int, path: Path) -> int:
    """How deeply `node` nests; an InputError when its aliases expand it beyond any file napstack reads (a
    "billion laughs" of anchors referring to anchors is a few lines that expand to billions of values)."""
    stack, deepest, values = [(node, 1)], 0, 0
    while stack:
        current, depth = stack.pop()
        deepest, values = max(deepest, depth), values + 1
        if deepest > limit:
            return deepest
        if values > MAX_VALUES:
            raise InputError(f"{path}: holds more than {MAX_VALUES:,} values once its aliases (*name) are expanded; "
                             "that is not a napstack file")
        if isinstance(current, yaml.MappingNode):
            stack.extend((child, depth + 1) for pair in current.value for child in pair)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in current.value)
    return deepest


def load_yaml(path: str | Path) -> tuple[object, yaml.Node | None]:
    """The document in `path` and its node tree (for text exactly as written); InputError for anything else."""
    text = read_text(path)
    try:
        node = yaml.compose(text, Loader=StrictLoader)
        if node is not None and _depth(node, MAX_NESTING, path) > MAX_NESTING:
            raise InputError(f"{path}: nested more than {MAX_NESTING} levels deep; that is not a napstack file")
        loader = StrictLoader(text)
        try:
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(f"{path}: not valid YAML{where}: {getattr(error, 'problem', None) or error}") from None
    except RecursionError:
        raise InputError(f"{path}: nested too deeply to read") from None
    try:  # PyYAML turns an escaped surrogate pair ("\ud800\udc00") into two lone surrogates, which are not text
        json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{path}: holds an escaped UTF-16 surrogate (\\ud800-\\udfff); write the character itself") from None
    return data, node


def scalar_as_written(node: yaml.Node) -> str | None:
    """A scalar's text exactly as the user wrote it (quotes and escapes resolved), or None for a plain empty
    or null scalar, a list or a mapping, which are not text."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    if node.style in ("'", '"', "|", ">"):
        return node.value
    if node.value in ("", "~") or node.value.lower() == "null":
        return None
    return node.value


def mapping_child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                return value_node
    return None


def pydantic_problems(error) -> str:
    """A pydantic ValidationError as one line in napstack's words: `checks.0.tcpp: unknown key; ...`."""
    problems = []
    for item in error.errors():
        where = ".".join(map(str, item["loc"])) or "(top level)"
        if item["type"] == "extra_forbidden":
            message = "unknown key (check its spelling)"
        elif item["type"] == "missing":
            message = "required key is missing"
        else:
            message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}")
    return "; ".join(problems)
