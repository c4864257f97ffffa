#include "core/topics.h"

#include <array>

namespace kiosk {
namespace {

constexpr std::array<Topic, 11> kTopics = {{
    {"anagrafica", "Anagrafica"},
    {"deleghe", "Deleghe"},
    {"domande_telematiche", "Domande telematiche"},
    {"istanze_rateizzazione", "Istanze di rateizzazione"},
    {"normativa", "Normativa"},
    {"posizione_assicurativa", "Posizione assicurativa"},
    {"rendicontazione_gs", "Rendicontazione GS"},
    {"ricorsi", "Ricorsi"},
    {"riduzione_sanzioni_civili", "Riduzione sanzioni civili"},
    {"rimborso", "Rimborso"},
    {"ruoli_versamenti", "Ruoli e Versamenti"},
}};

}  // namespace

std::span<const Topic> topics() { return kTopics; }

const Topic* findTopic(std::string_view code) {
  for (const auto& t : kTopics) {
    if (t.code == code) return &t;
  }
  return nullptr;
}

}  // namespace kiosk
