// libpng 1.6 (Debian: libpng-dev).
//
// Why the classic API and not the simplified png_image one: the simplified API treats every 16-bit
// sample as linear light. Reading an sRGB 16-bit file converts it to linear through libpng's 16-bit gamma
// tables, which index only the top bits of each sample (measured with libpng 1.6.39: up to 0.034 error
// after re-encoding, nine 8-bit steps), and writing 16-bit always tags the file gAMA 1.0. Either way the
// 16-bit precision is lost or the file is mislabelled. The classic API hands over the stored samples
// untouched (no gamma transform at any depth, the behaviour of PIL, OpenCV and torchvision).
// Its fatal errors longjmp to png_jmpbuf, which Swift cannot catch, so each whole sequence lives here in a
// static inline function: the setjmp is in C, and Swift only sees a return code and libpng's message.
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NST_PNG_MESSAGE_CAPACITY 256

/// Layout of the decoded rows: `channels` interleaved samples (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA) of
/// `bitDepth` 8 or 16 (16-bit samples big-endian), `rowBytes` per row.
typedef struct {
    unsigned width, height;
    int channels, bitDepth;
    int fileColorType, fileBitDepth, interlaced;
    size_t rowBytes;
} nst_png_header;

typedef struct { const unsigned char *data; size_t size, offset; } nst_png_source;

/// Growable output buffer for the encoder, owned by the caller; `data` is malloc'ed (free() it).
typedef struct { unsigned char *data; size_t size, capacity; } nst_png_sink;

static void nst_png_error(png_structp png, png_const_charp text) {
    char *message = (char *)png_get_error_ptr(png);
    snprintf(message, NST_PNG_MESSAGE_CAPACITY, "%s", text);
    png_longjmp(png, 1);
}

// Warnings (bad ancillary-chunk CRCs, unknown sRGB profiles) don't stop decoding; keep stderr quiet.
static void nst_png_warning(png_structp png, png_const_charp text) { (void)png; (void)text; }

static void nst_png_read_bytes(png_structp png, png_bytep out, size_t length) {
    nst_png_source *source = (nst_png_source *)png_get_io_ptr(png);
    if (length > source->size - source->offset) png_error(png, "unexpected end of data: the file is truncated");
    memcpy(out, source->data + source->offset, length);
    source->offset += length;
}

static void nst_png_write_bytes(png_structp png, png_bytep bytes, size_t length) {
    nst_png_sink *sink = (nst_png_sink *)png_get_io_ptr(png);
    if (sink->size + length > sink->capacity) {
        size_t capacity = sink->capacity ? sink->capacity : 65536;
        while (capacity < sink->size + length) capacity *= 2;
        unsigned char *grown = (unsigned char *)realloc(sink->data, capacity);
        if (grown == NULL) png_error(png, "out of memory while encoding");
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->data + sink->size, bytes, length);
    sink->size += length;
}

static void nst_png_flush(png_structp png) { (void)png; }

/// Decodes a PNG held in memory: palettes expand to RGB(A), 1/2/4-bit grey to 8 bits, 16-bit stays 16-bit,
/// tRNS is ignored, no gamma is applied. With `pixels == NULL` only the header is read (so the caller can
/// check the size before allocating). Returns 1 on success, 0 with libpng's message on failure.
/// `message` must hold NST_PNG_MESSAGE_CAPACITY bytes.
static inline int nst_png_decode(const unsigned char *data, size_t size, nst_png_header *header,
                                 unsigned char *pixels, size_t pixelCapacity, char *message) {
    nst_png_source source = { data, size, 0 };
    message[0] = 0;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, message, nst_png_error, nst_png_warning);
    if (png == NULL) { snprintf(message, NST_PNG_MESSAGE_CAPACITY, "libpng could not start"); return 0; }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(message, NST_PNG_MESSAGE_CAPACITY, "libpng could not start");
        return 0;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return 0;
    }
    png_set_read_fn(png, &source, nst_png_read_bytes);
    png_read_info(png, info);
    header->fileColorType = png_get_color_type(png, info);
    header->fileBitDepth = png_get_bit_depth(png, info);
    header->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
    if (header->fileColorType == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (header->fileColorType == PNG_COLOR_TYPE_GRAY && header->fileBitDepth < 8) png_set_expand_gray_1_2_4_to_8(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    header->width = png_get_image_width(png, info);
    header->height = png_get_image_height(png, info);
    header->channels = png_get_channels(png, info);
    header->bitDepth = png_get_bit_depth(png, info);
    header->rowBytes = png_get_rowbytes(png, info);
    if (pixels == NULL) {
        png_destroy_read_struct(&png, &info, NULL);
        return 1;
    }
    if (header->rowBytes * header->height > pixelCapacity) png_error(png, "decoded image exceeds the buffer");
    for (int pass = 0; pass < passes; pass++)
        for (unsigned y = 0; y < header->height; y++)
            png_read_row(png, pixels + (size_t)y * header->rowBytes, NULL);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    return 1;
}

/// Encodes interleaved grey (channels 1) or RGB (channels 3) rows of bitDepth 8 or 16 (16-bit big-endian)
/// into `sink`, tagged sRGB because the samples are sRGB-encoded. On failure `sink->data` is freed.
static inline int nst_png_encode(const unsigned char *pixels, unsigned width, unsigned height, int channels,
                                 int bitDepth, nst_png_sink *sink, char *message) {
    message[0] = 0;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, message, nst_png_error, nst_png_warning);
    if (png == NULL) { snprintf(message, NST_PNG_MESSAGE_CAPACITY, "libpng could not start"); return 0; }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        snprintf(message, NST_PNG_MESSAGE_CAPACITY, "libpng could not start");
        return 0;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(sink->data);
        sink->data = NULL;
        sink->size = sink->capacity = 0;
        return 0;
    }
    png_set_write_fn(png, sink, nst_png_write_bytes, nst_png_flush);
    png_set_IHDR(png, info, width, height, bitDepth, channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_sRGB(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
    png_write_info(png, info);
    size_t stride = (size_t)width * (size_t)channels * (size_t)(bitDepth / 8);
    for (unsigned y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)y * stride));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 1;
}
