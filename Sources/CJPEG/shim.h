// libjpeg (Debian: libjpeg-dev, libjpeg-turbo's libjpeg62 API). jpeglib.h needs stdio.h and size_t first.
//
// libjpeg reports fatal errors through error_exit, whose default calls exit(). Recovering needs
// setjmp/longjmp, which Swift cannot express, so each whole decode/encode sequence lives here in a
// static inline C function that Swift imports: error_exit longjmps back into that function, which
// cleans up and returns 0 with the library's message. Nothing ever longjmps across a Swift frame.
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

/// What the header says about a JPEG file, plus the first EXIF APP1 payload (starting at "Exif\0\0").
typedef struct {
    unsigned width, height;
    int components;       // components in the file (1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK)
    int colorSpace;       // J_COLOR_SPACE of the file
    int progressive;      // 1 for progressive (SOF2) files
    size_t exifLength;    // bytes copied into the caller's exif buffer, 0 if there is no EXIF APP1 segment
} nst_jpeg_header;

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf escape;
    char message[JMSG_LENGTH_MAX];
} nst_jpeg_error;

static void nst_jpeg_error_exit(j_common_ptr cinfo) {
    nst_jpeg_error *error = (nst_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, error->message);
    longjmp(error->escape, 1);
}

// libjpeg treats running out of data as a warning and pads the image with grey; a truncated file must
// be an error for us. Other warnings (e.g. extraneous bytes before a marker) are common in camera files
// and harmless, so they are silenced rather than printed to stderr.
static void nst_jpeg_emit_message(j_common_ptr cinfo, int level) {
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) nst_jpeg_error_exit(cinfo);
}

static inline void nst_jpeg_install_errors(nst_jpeg_error *error) {
    jpeg_std_error(&error->base);
    error->base.error_exit = nst_jpeg_error_exit;
    error->base.emit_message = nst_jpeg_emit_message;
    error->message[0] = 0;
}

/// Decodes a JPEG held in memory. With `pixels == NULL` only the header (and EXIF) is read, so the caller
/// can check the size before allocating. Otherwise writes height rows of width*outComponents interleaved
/// 8-bit samples, grey (1) for greyscale files and RGB (3) for colour ones.
/// Returns 1 on success, 0 with a message on failure. CMYK/YCCK files are left to the caller to reject.
static inline int nst_jpeg_decode(const unsigned char *data, size_t size, nst_jpeg_header *header,
                                  unsigned char *exif, size_t exifCapacity,
                                  unsigned char *pixels, size_t pixelCapacity,
                                  char *message, size_t messageCapacity) {
    struct jpeg_decompress_struct cinfo;
    nst_jpeg_error error;
    cinfo.err = &error.base;
    nst_jpeg_install_errors(&error);
    if (setjmp(error.escape)) {
        jpeg_destroy_decompress(&cinfo);
        snprintf(message, messageCapacity, "%s", error.message);
        return 0;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);

    header->width = cinfo.image_width;
    header->height = cinfo.image_height;
    header->components = cinfo.num_components;
    header->colorSpace = cinfo.jpeg_color_space;
    header->progressive = cinfo.progressive_mode ? 1 : 0;
    header->exifLength = 0;
    for (jpeg_saved_marker_ptr marker = cinfo.marker_list; marker != NULL; marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length >= 6
            && memcmp(marker->data, "Exif\0\0", 6) == 0) {
            size_t length = marker->data_length < exifCapacity ? marker->data_length : exifCapacity;
            memcpy(exif, marker->data, length);
            header->exifLength = length;
            break;
        }
    }
    int grey = cinfo.num_components == 1;
    if (pixels == NULL || !(grey || cinfo.num_components == 3)) {
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }

    cinfo.out_color_space = grey ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    size_t stride = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    if (stride * cinfo.output_height > pixelCapacity) {
        snprintf(error.message, sizeof error.message, "decoder output (%u x %u x %d) exceeds the buffer",
                 cinfo.output_width, cinfo.output_height, cinfo.output_components);
        longjmp(error.escape, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * stride;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 1;
}

/// Encodes interleaved 8-bit grey (components 1), RGB (3) or CMYK (4, used by tests to make files the
/// decoder must refuse) rows as a baseline JPEG with
/// optimised Huffman tables and no chroma subsampling (4:4:4: style-transfer output has fine colour
/// detail that 4:2:0 would smear). On success *output is a malloc'ed buffer the caller frees with free().
static inline int nst_jpeg_encode(const unsigned char *pixels, unsigned width, unsigned height, int components,
                                  int quality, unsigned char **output, unsigned long *outputSize,
                                  char *message, size_t messageCapacity) {
    struct jpeg_compress_struct cinfo;
    nst_jpeg_error error;
    cinfo.err = &error.base;
    nst_jpeg_install_errors(&error);
    *output = NULL;
    *outputSize = 0;
    if (setjmp(error.escape)) {
        jpeg_destroy_compress(&cinfo);
        free(*output);
        *output = NULL;
        snprintf(message, messageCapacity, "%s", error.message);
        return 0;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, output, outputSize);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 4 ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    cinfo.optimize_coding = TRUE;
    for (int c = 0; c < cinfo.num_components; c++) {
        cinfo.comp_info[c].h_samp_factor = 1;
        cinfo.comp_info[c].v_samp_factor = 1;
    }
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)width * (size_t)components;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return 1;
}
