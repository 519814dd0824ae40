"""What a file is, read from its own bytes, where OpenCV cannot say: OpenCV and FFmpeg fail on an empty file, a
web page saved under a video's name or a copy cut short with the same silence, and show a video cut short up to
its break as if it ended there. Each check reads the file's structure (its parts and their sizes), not its
pictures, so it costs a few reads even for a file of gigabytes."""

from __future__ import annotations

import os
import re

PICTURES = "a video or image"  # what a source file should be, as sentences name it
CUT_SHORT = "is cut short: the file ends before its data does (a copy or download that did not finish?)"
NO_INDEX = ("is a video cut short: the file ends before its index (the part of an MP4 or MOV file that says where "
            "each frame is, written when the recording stops), as when a copy or download did not finish or the "
            "recording was not stopped cleanly; the whole file is needed")
SOUND_ONLY = "holds sound only, with no pictures to show: give a video or an image"
IMAGE_BRANDS = {b"mif1", b"msf1", b"heic", b"heix", b"heim", b"heis", b"avif", b"avis"}  # HEIF's and AVIF's
ISO_FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"styp"}  # an MP4 or MOV starts so
TEXT_SAMPLE_BYTES = 65536  # read of a file that may be text: a web page's title is in its head
WEB_PAGE = re.compile(rb"<\s*(!doctype\s+html|html|head|body)\b", re.IGNORECASE)
TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
ZIP_END_SEARCH_BYTES = 65557  # a zip's end record (22 bytes) with the longest comment it may carry
QUOTED_MAX_CHARS = 60  # of a page's title or a text's beginning, as a sentence quotes it


def why_unreadable(path: str, wanted: str = PICTURES) -> str | None:
    """What the file at `path` is, as the end of a sentence that names it ("'x.mp4' " + this), where that tells
    why it could not be read as `wanted`: empty, a web page or other text, a video without its index, sound alone,
    or cut short. None where its bytes tell nothing of the kind (a codec OpenCV lacks, say), or it cannot be read."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as file:
            head = file.read(TEXT_SAMPLE_BYTES)
            if size == 0:
                return "is empty (0 bytes): a copy or download that did not finish?"
            said = _as_text(head, wanted)
            if said is not None:
                return said
            if head[4:8] not in ISO_FIRST_BOXES:
                return CUT_SHORT if _cut_short(path, file, head, size) else None
            has_index, handlers, cut = _movie_layout(file, size)  # its boxes walked once, for all three
    except OSError:
        return None
    if not has_index and handlers is None:
        return NO_INDEX
    if has_index and handlers and b"vide" not in handlers and b"soun" in handlers:
        return SOUND_ONLY
    return CUT_SHORT if cut else None


def cut_short(path: str) -> bool:
    """Whether the file at `path` ends before its own data says it does: an MP4 or MOV, a Matroska or WebM, an
    AVI or WebP (RIFF), a PNG or a JPEG whose last part is missing, or a model's file (a zip archive, HDF5). False
    for any other file, and where it cannot be read."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as file:
            return _cut_short(path, file, file.read(16), size)
    except OSError:
        return False


def _cut_short(path: str, file, head: bytes, size: int) -> bool:
    """`cut_short` of the open `file`, whose first bytes (16 at least, where it has them) are `head`."""
    if head[:2] == b"\xff\xd8":
        return jpeg_cut_short(path)  # the whole file: its coded data is walked
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return _png_cut_short(file, size)
    if head[:4] == b"RIFF":
        return 8 + int.from_bytes(head[4:8], "little") > size
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return _matroska_cut_short(file, size)
    if head[4:8] in ISO_FIRST_BOXES:
        return _movie_layout(file, size)[2]
    if head[:4] == b"PK\x03\x04":
        return _zip_cut_short(file, size)
    if head[:8] == b"\x89HDF\r\n\x1a\n":
        return _hdf5_cut_short(file, size)
    return False


def _as_text(head: bytes, wanted: str) -> str | None:
    """The sentence's end for a file that is text, not pictures: a web page (a download that saved the site's
    sign-in, error or virus-scan page in place of the file) named by its title, or other text by its start."""
    if b"\0" in head:
        return None
    text = head.decode("utf-8", "replace").removeprefix("\ufeff")
    odd = sum(not (char.isprintable() or char.isspace()) for char in text)
    if "\ufffd" in text[:8] or text.count("\ufffd") > 2 or odd > len(text) // 50:
        return None
    if re.match(rb"P[1-3]\s", head):  # a PPM, PGM or PBM image in text: OpenCV's to read, or to fail on
        return None
    if re.search(rb"<svg\b", head) and wanted == PICTURES:
        return "is an SVG drawing, which OpenCV cannot read: export it to PNG first"
    if WEB_PAGE.search(head):
        title = TITLE.search(head)
        named = f" ('{_quoted(title.group(1).decode('utf-8', 'replace'))}')" if title else ""
        return (f"is a web page{named}, not {wanted}: the download saved the site's page in place of the "
                f"file; download the file itself (the page's own download button or link)")
    return f"is a text file, not {wanted} (it begins '{_quoted(text)}')"


def _quoted(text: str) -> str:
    """Text as a sentence quotes it: on one line, its spaces as one, cut to QUOTED_MAX_CHARS."""
    text = " ".join(text.split())
    return text if len(text) <= QUOTED_MAX_CHARS else text[:QUOTED_MAX_CHARS - 1] + "…"


def _boxes(file, start: int, end: int):
    """The boxes of an MP4 or MOV file (ISO base media) between `start` and `end`: (type, offset, size), a size
    past `end` where the file ends inside the box. Stops at bytes that are not a box."""
    at = start
    while at + 8 <= end:
        file.seek(at)
        head = file.read(16)
        size, kind = int.from_bytes(head[:4], "big"), head[4:8]
        if size == 1:  # a 64-bit size follows the type
            if len(head) < 16:
                yield kind, at, end - at + 1
                return
            size = int.from_bytes(head[8:16], "big")
        elif size == 0:  # to the end of the file: a recording's data box before it was closed
            size = end - at
        if size < 8:
            return
        yield kind, at, size
        at += size


def _movie_layout(file, size: int) -> tuple[bool, set[bytes] | None, bool]:
    """(whether it has its index, the handler types of its tracks ('vide', 'soun') or None without an index or
    where it is an image's container (HEIC's 'meta'), whether the file ends inside a box)."""
    handlers: set[bytes] | None = None
    cut = has_index = has_meta = False
    for kind, at, length in _boxes(file, 0, size):
        cut = cut or at + length > size
        if kind == b"ftyp":  # its brands, 4 letters each: an image's (HEIC, AVIF) say it is no video
            file.seek(at + 8)
            brands = file.read(min(length, 64) - 8)
            has_meta = has_meta or any(brands[i:i + 4] in IMAGE_BRANDS for i in range(0, len(brands), 4))
        has_meta = has_meta or kind == b"meta"
        if kind == b"moov" and at + length <= size:
            has_index, handlers = True, set()
            for track, track_at, track_length in _boxes(file, at + 8, at + length):
                if track == b"trak":
                    handlers |= _track_handlers(file, track_at, track_length)
    if has_meta and not has_index:
        return True, set(), cut  # an image (HEIC, AVIF), not a video without its index
    return has_index, handlers, cut


def _track_handlers(file, at: int, length: int) -> set[bytes]:
    """The handler types of one track ('vide', 'soun'), from its trak > mdia > hdlr boxes."""
    found = set()
    for kind, media_at, media_length in _boxes(file, at + 8, at + length):
        if kind != b"mdia":
            continue
        for inner, inner_at, _ in _boxes(file, media_at + 8, media_at + media_length):
            if inner == b"hdlr":
                file.seek(inner_at + 16)  # header, version and flags, pre_defined
                found.add(file.read(4))
    return found


def _png_cut_short(file, size: int) -> bool:
    """Whether a PNG ends before its IEND chunk."""
    at = 8
    while at + 8 <= size:
        file.seek(at)
        head = file.read(8)
        if head[4:8] == b"IEND":
            return False
        at += 12 + int.from_bytes(head[:4], "big")  # length, type, data, CRC
    return True


def _matroska_cut_short(file, size: int) -> bool:
    """Whether a Matroska or WebM file ends before its Segment does; False where the Segment's size is left open
    (a live recording's file), which says nothing of its end."""
    file.seek(4)
    header_size, width = _element_size(file)
    if header_size is None:
        return False
    file.seek(4 + width + header_size)
    if file.read(4) != b"\x18\x53\x80\x67":  # Segment
        return False
    segment_size, segment_width = _element_size(file)
    return segment_size is not None and 4 + width + header_size + 4 + segment_width + segment_size > size


def _element_size(file) -> tuple[int | None, int]:
    """An EBML element's size (a variable-length integer) at the file's position, and the bytes it took; None
    for a size left open (all its bits set) or bytes that are not one."""
    first = file.read(1)
    if not first or first[0] == 0:
        return None, 1
    width = 9 - first[0].bit_length()
    rest = file.read(width - 1)
    value = first[0] & (0xFF >> width)
    for byte in rest:
        value = value << 8 | byte
    return (None if value == (1 << 7 * width) - 1 else value), width


def _zip_cut_short(file, size: int) -> bool:
    """Whether a zip archive (a .keras model) lacks its end: the directory of its files, written last."""
    tail = min(size, ZIP_END_SEARCH_BYTES)
    file.seek(size - tail)
    return b"PK\x05\x06" not in file.read(tail)


def _hdf5_cut_short(file, size: int) -> bool:
    """Whether an HDF5 file (an .h5 model) is shorter than the end its superblock gives."""
    file.seek(8)
    head = file.read(16)
    if len(head) < 16:
        return True
    version = head[0]
    if version in (0, 1):
        offsets, at = head[5], 16 if version == 0 else 20  # where the base address is, from the version on
    elif version in (2, 3):
        offsets, at = head[1], 4
    else:
        return False
    if offsets not in (2, 4, 8):
        return False
    file.seek(8 + at)
    addresses = file.read(3 * offsets)  # the base address, another, and the end of the file's data
    if len(addresses) < 3 * offsets:
        return True
    base, end = (int.from_bytes(addresses[i * offsets:(i + 1) * offsets], "little") for i in (0, 2))
    return end != (1 << 8 * offsets) - 1 and base + end > size  # all bits set: not given


def jpeg_cut_short(path: str) -> bool:
    """Whether the JPEG file at `path` ends before its image does. OpenCV shows such a file all the same, gray
    below what was there (libjpeg only writes "Premature end of JPEG file" to the terminal, naming no file), so
    the segments are walked up to the end-of-image marker. False for any file that is not a JPEG, and for data
    after that marker (a phone's motion photo appends its video there)."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError:
        return False
    if data[:2] != b"\xff\xd8":
        return False
    at, size = 2, len(data)
    while at + 1 < size:
        if data[at] != 0xFF:
            return False  # not the layout expected: leave it to the decoder
        marker = data[at + 1]
        if marker == 0xD9:  # end of image
            return False
        if marker == 0xFF or marker == 0x01 or 0xD0 <= marker <= 0xD7:  # fill byte, or a marker without length
            at += 1 if marker == 0xFF else 2
            continue
        if at + 4 > size:
            return True
        at += 2 + int.from_bytes(data[at + 2:at + 4], "big")  # a segment: an EXIF thumbnail's own end is inside
        if marker != 0xDA:
            continue
        while True:  # after a start of scan: coded data, in which 0xFF is followed by 0 or a restart marker
            at = data.find(b"\xff", at)
            if at < 0 or at + 1 >= size:
                return True
            following = data[at + 1]
            if following == 0x00 or 0xD0 <= following <= 0xD7:
                at += 2
            elif following == 0xFF:
                at += 1
            else:
                break  # the next marker: another scan (a progressive JPEG), or the end
    return True
