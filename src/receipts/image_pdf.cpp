// A picture attachment printed on an A4 page: the printer takes PDFs only.
#include <hpdf.h>

#include <algorithm>

#include "receipts/pdf_receipt.h"

namespace kiosk::receipts {
namespace {

void ignoreErrors(HPDF_STATUS, HPDF_STATUS, void*) {}

Error notPrintable() {
  return Error::invalid("not_printable",
                        "Questo documento non si può stampare al chiosco: si stampano i PDF e le "
                        "immagini JPEG o PNG.");
}

}  // namespace

Result<std::string> imagePdf(std::string_view data, std::string_view content_type) {
  if (content_type != "image/jpeg" && content_type != "image/png") return fail(notPrintable());
  HPDF_Doc pdf = HPDF_New(ignoreErrors, nullptr);
  if (!pdf) return fail(Error::internal("HPDF_New failed"));
  struct Free {
    HPDF_Doc d;
    ~Free() { HPDF_Free(d); }
  } guard{pdf};
  HPDF_SetInfoAttr(pdf, HPDF_INFO_CREATOR, "Cassetto Kiosk");
  const auto* bytes = reinterpret_cast<const HPDF_BYTE*>(data.data());
  const auto size = static_cast<HPDF_UINT>(data.size());
  HPDF_Image image = content_type == "image/jpeg" ? HPDF_LoadJpegImageFromMem(pdf, bytes, size)
                                                  : HPDF_LoadPngImageFromMem(pdf, bytes, size);
  if (!image) return fail(notPrintable());
  HPDF_Page page = HPDF_AddPage(pdf);
  HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
  const double margin = 28.35;  // 1 cm
  const double box_w = HPDF_Page_GetWidth(page) - 2 * margin;
  const double box_h = HPDF_Page_GetHeight(page) - 2 * margin;
  const double w = HPDF_Image_GetWidth(image);
  const double h = HPDF_Image_GetHeight(image);
  if (w <= 0 || h <= 0) return fail(notPrintable());
  const double scale = std::min(box_w / w, box_h / h);
  const double dw = w * scale;
  const double dh = h * scale;
  HPDF_Page_DrawImage(page, image, static_cast<HPDF_REAL>(margin + (box_w - dw) / 2),
                      static_cast<HPDF_REAL>(margin + (box_h - dh)), static_cast<HPDF_REAL>(dw),
                      static_cast<HPDF_REAL>(dh));
  if (HPDF_SaveToStream(pdf) != HPDF_OK) return fail(Error::internal("HPDF_SaveToStream failed"));
  std::string out(HPDF_GetStreamSize(pdf), '\0');
  HPDF_UINT32 n = static_cast<HPDF_UINT32>(out.size());
  HPDF_ReadFromStream(pdf, reinterpret_cast<HPDF_BYTE*>(out.data()), &n);
  out.resize(n);
  return out;
}

}  // namespace kiosk::receipts
