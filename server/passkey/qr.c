/*
 * QR codes as SVG, drawn by libqrencode: one path of the dark modules, in currentColor,
 * inside a four-module quiet zone, so that the page's colours draw it.
 */
#include <stdio.h>
#include <string.h>

#include <qrencode.h>

#include "mado/util.h"
#include "passkey_int.h"

char *
pk_qr_svg(const char *text)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	struct mado_text t = {0};
	int x, y, w;
	char *out;

	if (qr == NULL)
		return NULL;
	w = qr->width;
	mado_text_printf(
	    &t,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\""
	    " shape-rendering=\"crispEdges\" role=\"img\"><path fill=\"currentColor\" d=\"",
	    w + 8, w + 8);
	for (y = 0; y < w; y++)
		for (x = 0; x < w; x++)
			if (qr->data[y * w + x] & 1)
				mado_text_printf(&t, "M%d %dh1v1h-1z", x + 4, y + 4);
	mado_text_puts(&t, "\"/></svg>");
	QRcode_free(qr);
	out = mado_xstrdup(t.buf != NULL ? t.buf : "");
	mado_text_free(&t);
	return out;
}
