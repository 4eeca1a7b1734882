// libjpeg (Debian: libjpeg-dev, libjpeg-turbo's libjpeg62 API). jpeglib.h needs stdio.h and size_t first.
#include <stdio.h>
#include <stddef.h>
#include <jpeglib.h>
