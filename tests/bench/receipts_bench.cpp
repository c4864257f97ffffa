// Receipts per second for scripts/bench: renders the same receipt N times
// with base-14 fonts and N times with a name that needs the embedded TTF,
// and prints the median and p99 time per receipt.
// Usage: kiosk-bench-receipts [N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "receipts/pdf_receipt.h"

namespace {

kiosk::domain::ReceiptData sample(const std::string& name) {
  kiosk::domain::ReceiptData r;
  r.protocol = "INPS.0000.2026.0012345";
  r.message_id = 42;
  r.registered_at = 1'795'772'520;
  r.branch_code = "0000";
  r.branch_name = "Sede di Roma Eur";
  r.kiosk_id = "K01";
  r.professional_name = name;
  r.codice_fiscale = "RSSMRA80A01H501U";
  r.topic_label = "Rimborso";
  r.subject = "Rimborso di 120 € per contributi versati due volte, perché…";
  for (int i = 0; i < 3; ++i) {
    r.attachments.push_back({i + 1, "documento " + std::to_string(i) + ".pdf", "application/pdf",
                             524288, std::string(64, 'c')});
  }
  kiosk::domain::Contacts c;
  c.pec = "mario.rossi@pec.example.com";
  c.email = "mario.rossi@mail.example.com";
  c.notify = {"pec", "email"};
  r.contacts = c;
  r.record = "CK1;INPS.0000.2026.0012345;42;1795772520;" + std::string(64, 'd') + ";" +
             std::string(86, 'e');
  return r;
}

void measure(const char* label, const kiosk::domain::ReceiptData& r, int n) {
  std::vector<double> ms;
  std::size_t bytes = 0;
  for (int i = 0; i < n; ++i) {
    const auto start = std::chrono::steady_clock::now();
    auto pdf = kiosk::receipts::renderReceipt(r);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    if (!pdf) {
      std::fprintf(stderr, "render failed: %s\n", pdf.error().detail.c_str());
      std::exit(1);
    }
    bytes = pdf->size();
  }
  std::sort(ms.begin(), ms.end());
  double total = 0;
  for (double v : ms) total += v;
  std::printf("%-12s median %.2f ms   p99 %.2f ms   %.0f receipts/s   %zu bytes\n", label,
              ms[ms.size() / 2], ms[ms.size() * 99 / 100], 1000.0 * n / total, bytes);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 300;
  measure("base-14", sample("Mario Rossi"), n);
  measure("ttf", sample("Łukasz Wójcik"), std::max(10, n / 10));
  return 0;
}
