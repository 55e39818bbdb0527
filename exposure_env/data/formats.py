"""The photo formats by file suffix: what folders are searched for, what is not read, what is written.

Only constants, so that a command-line tool can build its ``--help`` from them before OpenCV and torch load;
:mod:`exposure_env.data.io` reads and writes by them.
"""

#: file suffixes (lower case) that folders are searched for
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".tif", ".tiff", ".bmp", ".webp", ".gif", ".avif")
#: photo formats that folders may hold but are not read, by suffix (lower case): what to do with them
UNREAD_FORMATS = {
    **dict.fromkeys((".heic", ".heif"), "HEIC/HEIF is not read (no decoder is installed); convert it to JPEG or PNG first"),
    **dict.fromkeys((".dng", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".rw2", ".raf", ".pef", ".srw"),
                    "a camera-raw file; export it to TIFF, PNG or JPEG first"),
    **dict.fromkeys((".jxl", ".jp2", ".psd", ".exr", ".hdr"), "this format is not read; export it to TIFF, PNG or JPEG first"),
}
#: output suffixes :func:`~exposure_env.data.io.write_photo` writes, by format
OUTPUT_SUFFIXES = {".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG", ".jfif": "JPEG", ".png": "PNG", ".tif": "TIFF",
                   ".tiff": "TIFF", ".webp": "WEBP", ".bmp": "BMP"}
