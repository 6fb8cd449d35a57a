"""Scans and photos made ready for Tesseract, and Tesseract's words with their boxes.

Each page is checked for ink (a blank page is not read), its uneven lighting evened out (a phone
photo under a lamp) and its contrast stretched, straightened (the angle whose rows of ink are
sharpest, within ±6°), read with Tesseract's TSV output, and, when the words read poorly, turned
the way Tesseract's orientation detection (`--psm 0`) says (an upside-down scan) and read again.
Pillow and numpy do the image work: no OpenCV, whose 50 MB wheel would only add the perspective
correction of photos taken at a slant (see docs/architecture.md).

`pdftoppm` and `tesseract` run as child processes with a fixed argument list, no shell, a
deadline and a private temporary directory.
"""

import logging
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter, ImageOps, ImageSequence, UnidentifiedImageError

logger = logging.getLogger(__name__)

OCR_PAGES = 3
OCR_DPI = 300
OCR_LANGUAGES = "fra+nld+deu+eng"
MAX_IMAGE_SIDE = 3500
# A photo or a scan below about 250 dpi is enlarged (LANCZOS): Tesseract reads small print
# better (3400 px, 290 dpi on A4, lost a generated scan's totals).
MIN_IMAGE_SIDE = 3000
IMAGE_TYPES = {"image/jpeg", "image/png", "image/tiff", "image/webp"}
# Below this mean word confidence (0..100) a page is read again turned, or given up.
POOR_CONFIDENCE = 55
UNREADABLE_CONFIDENCE = 35
# How a page is made ready for Tesseract (`ocr_page`).
PLAIN, CONTRAST, BINARY = "plain", "contrast", "binary"
# How much the paper's brightness may vary across a page (0..255) before it is evened out.
UNEVEN_LIGHT = 30
# How much darker than the paper ink is (0..255), for `flatten`.
FLAT_INK = 105


class RecognitionError(Exception):
    """OCR failed or took too long; the caller may try again later."""


@dataclass(frozen=True)
class Page:
    path: Path


@dataclass
class PageWords:
    boxes: list[tuple[str, float, float, float, float]]  # text, x0, top, x1, bottom (0..1)
    size: tuple[float, float]
    confidence: float = 0.0
    notes: list[str] = field(default_factory=list)


def pdf_pages(path: Path, directory: Path, deadline: float) -> list[Page]:
    pdftoppm = shutil.which("pdftoppm") or "pdftoppm"
    prefix = directory / "page"
    # Grey PGM: PNG's compression of a noisy scan costs seconds a page.
    run(
        [
            pdftoppm,
            "-r",
            str(OCR_DPI),
            "-gray",
            "-f",
            "1",
            "-l",
            str(OCR_PAGES),
            str(path),
            str(prefix),
        ],
        deadline,
    )
    return [Page(page) for page in sorted(directory.glob("page-*.pgm"))]


def image_pages(path: Path, directory: Path) -> list[Page]:
    """Up to OCR_PAGES frames, upright (EXIF), grey, between MIN and MAX_IMAGE_SIDE long."""
    pages = []
    try:
        with Image.open(path) as image:
            for number, frame in enumerate(ImageSequence.Iterator(image)):
                if number >= OCR_PAGES:
                    break
                page = ImageOps.exif_transpose(frame).convert("L")
                side = max(page.size)
                if side > MAX_IMAGE_SIDE or side < MIN_IMAGE_SIDE:
                    scale = (MAX_IMAGE_SIDE if side > MAX_IMAGE_SIDE else MIN_IMAGE_SIDE) / side
                    page = page.resize(
                        (round(page.width * scale), round(page.height * scale)),
                        Image.Resampling.LANCZOS,
                    )
                target = directory / f"page-{number}.pgm"
                page.save(target, "PPM")
                pages.append(Page(target))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise RecognitionError(f"unreadable image: {error}") from error
    return pages


def ocr_page(page: Page, deadline: float, *, psm: int = 3, prepare: str = PLAIN) -> PageWords:
    """`prepare`: PLAIN, CONTRAST (lighting divided and the darkest 1 % clipped, whatever the
    page) or BINARY (PLAIN, then `flatten`)."""
    with Image.open(page.path) as opened:
        image = opened.convert("L")
    if blank(image):
        return PageWords([], (float(image.width), float(image.height)), notes=["blank"])
    image = even_out(image, strong=prepare == CONTRAST)
    image = straighten(image)
    if prepare == BINARY:
        image = flatten(image)
    cleaned = page.path.with_suffix(".clean.pgm")
    image.save(cleaned, "PPM")
    words = tesseract_words(cleaned, deadline, psm=psm)
    if words.confidence < POOR_CONFIDENCE or len(words.boxes) < 5:
        turn = orientation(cleaned, deadline)
        if turn:
            image.rotate(turn, expand=True).save(cleaned, "PPM")
            again = tesseract_words(cleaned, deadline, psm=psm)
            if again.confidence > words.confidence:
                words = again
                words.notes.append("upside_down" if turn == 180 else "turned")
    if words.boxes and words.confidence < UNREADABLE_CONFIDENCE:
        logger.info(
            "OCR gave up on %s: mean word confidence %.0f", page.path.name, words.confidence
        )
        return PageWords([], words.size, words.confidence, [*words.notes, "unreadable"])
    return words


def blank(image: Image.Image) -> bool:
    """No ink worth reading: fewer than 0.05 % of the pixels clearly darker than the paper."""
    small = image.copy()
    small.thumbnail((800, 800))
    pixels = np.asarray(small, dtype=np.float32)
    paper = float(np.percentile(pixels, 90))
    dark = pixels < paper - 80
    return bool(dark.mean() < 0.0005)


def even_out(image: Image.Image, *, strong: bool = False) -> Image.Image:
    """Uneven lighting divided away (the paper's brightness measured on a blurred copy) when
    the paper's brightness varies across the page (a phone photo under a lamp), then the grey
    levels stretched from the darkest to the lightest pixel.

    Nothing is clipped: stretching with the darkest 1 % cut off, as this did before, or dividing
    an evenly lit scan, made the noise of a cheap scan bolder and Tesseract dropped whole columns
    (on the real-world scans, 69 % of the numbers of the text layer read against 81 % without;
    docs/recognition-bench.md). `strong` does both anyway, as a further reading: some pages, the
    generated set's compact scans above all, read better so."""
    small = image.resize((max(image.width // 8, 1), max(image.height // 8, 1)))
    background = small.filter(ImageFilter.MaxFilter(9)).filter(ImageFilter.GaussianBlur(12))
    light = np.asarray(background, dtype=np.float32)
    if strong or float(np.percentile(light, 95) - np.percentile(light, 5)) > UNEVEN_LIGHT:
        full = np.asarray(background.resize(image.size, Image.Resampling.BILINEAR), np.float32)
        pixels = np.asarray(image, dtype=np.float32)
        ratio = np.clip(pixels / np.maximum(full, 1.0) * 255.0, 0, 255).astype(np.uint8)
        image = Image.fromarray(ratio, mode="L")
    return ImageOps.autocontrast(image, cutoff=(1, 0) if strong else 0)


def flatten(image: Image.Image) -> Image.Image:
    """Black ink on white paper: specks taken away (a median filter before and after) and
    everything lighter than ink made paper, grey table shading included. Tesseract takes a
    noisy page with shaded rows for a picture and drops its text."""
    image = image.filter(ImageFilter.MedianFilter(3))
    pixels = np.asarray(image, dtype=np.float32)
    ink = float(np.percentile(pixels, 90)) - FLAT_INK
    flat = Image.fromarray(np.where(pixels > ink, 255, 0).astype(np.uint8), mode="L")
    return flat.filter(ImageFilter.MedianFilter(3))


def skew(image: Image.Image) -> float:
    """The angle (degrees) that makes the rows of ink sharpest: text lines lie level."""
    small = image.copy()
    small.thumbnail((900, 900))
    ink = ImageOps.invert(small)

    def sharpness(angle: float) -> float:
        rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.BILINEAR), np.float32)
        profile = rows.sum(axis=1)
        return float(np.square(np.diff(profile)).sum())

    best = max((step * 0.5 for step in range(-12, 13)), key=sharpness)
    return max((best + step * 0.1 for step in range(-5, 6)), key=sharpness)


def straighten(image: Image.Image) -> Image.Image:
    angle = skew(image)
    if abs(angle) < 0.15:
        return image
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def tesseract_words(path: Path, deadline: float, *, psm: int = 3) -> PageWords:
    tesseract = shutil.which("tesseract") or "tesseract"
    tsv = run(
        [tesseract, str(path), "stdout", "-l", OCR_LANGUAGES, "--psm", str(psm), "tsv"], deadline
    )
    return parse_tsv(tsv)


def parse_tsv(tsv: str) -> PageWords:
    boxes = []
    confidences = []
    width = height = 0.0
    for record in tsv.splitlines()[1:]:
        fields = record.split("\t")
        if len(fields) != 12:
            continue
        if fields[0] == "1":
            width, height = float(fields[8]), float(fields[9])
            continue
        text = fields[11].strip()
        if fields[0] != "5" or not text or width <= 0 or height <= 0:
            continue
        left, top, w, h = (float(value) for value in fields[6:10])
        confidence = float(fields[10])
        if confidence < 10 and not re.search(r"\w", text):
            continue  # specks read as punctuation
        confidences.append(confidence)
        boxes.append((text, left / width, top / height, (left + w) / width, (top + h) / height))
    # The confidence of the page: its words' mean, weighted by their length.
    lengths = [len(box[0]) for box in boxes]
    mean = sum(c * n for c, n in zip(confidences, lengths, strict=True)) / max(sum(lengths), 1)
    return PageWords(_join_lone_j(boxes), (width, height), mean)


def _join_lone_j(
    boxes: list[tuple[str, float, float, float, float]],
) -> list[tuple[str, float, float, float, float]]:
    """Tesseract often cuts a capital J from the rest of its word ("J uli", "J anssens")."""
    out: list[tuple[str, float, float, float, float]] = []
    for box in boxes:
        if out and out[-1][0] == "J" and re.match(r"[a-zäöüéè]{2}", box[0]):
            previous = out.pop()
            box = ("J" + box[0], previous[1], min(previous[2], box[2]), box[3], box[4])
        out.append(box)
    return out


_ROTATE = re.compile(r"Rotate:\s*(\d+)")
_ORIENTATION_CONFIDENCE = re.compile(r"Orientation confidence:\s*([\d.]+)")


def orientation(path: Path, deadline: float) -> int:
    """How many degrees (counter-clockwise, as Pillow turns) make the page upright, by
    Tesseract's orientation detection; 0 when it is unsure or finds no text."""
    tesseract = shutil.which("tesseract") or "tesseract"
    try:
        out = run([tesseract, str(path), "stdout", "--psm", "0", "-l", "osd"], deadline)
    except RecognitionError as error:
        if "ran out of time" in str(error):
            raise
        return 0  # "Too few characters" is an error exit of tesseract
    rotate = _ROTATE.search(out)
    sure = _ORIENTATION_CONFIDENCE.search(out)
    if not rotate or not sure or float(sure.group(1)) < 1.5:
        return 0
    # Tesseract gives the clockwise turn to apply; Pillow turns counter-clockwise.
    return (360 - int(rotate.group(1))) % 360


def run(argv: list[str], deadline: float) -> str:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise RecognitionError("OCR ran out of time")
    # One thread per process: workers run several documents side by side.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            argv, capture_output=True, timeout=remaining, check=True, env=env
        )
    except subprocess.TimeoutExpired as error:
        raise RecognitionError(f"{Path(argv[0]).name} timed out") from error
    except (subprocess.CalledProcessError, OSError) as error:
        raise RecognitionError(f"{Path(argv[0]).name} failed: {error}") from error
    return completed.stdout.decode("utf-8", errors="replace")
