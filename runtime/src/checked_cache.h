// Sealed files this process has already read and checked.
//
// format::readSealed() is a function of the file's bytes alone, so the same
// bytes need checking once per process: a service that loads one object many
// times (per interface, per container) pays for reading the file and
// comparing it, not for parsing the ELF and manifest, hashing every section
// and regenerating every loader prologue again. An entry matches only when
// every byte is equal, never by path or stat, and holds the immutable result
// the first check produced. Nothing about trust is kept here: signatures are
// checked at load (trust_cache.h keeps the verdicts of cached trust stores).
#pragma once

#include "bpfseal/format.h"

#include <memory>
#include <span>

namespace bpfseal {

// The checked object read from exactly these bytes, or null.
std::shared_ptr<const format::SealedObject> recallCheckedObject(std::span<const uint8_t> file);

// Keeps `sealed` (which readSealed accepted) for later opens of its bytes.
void rememberCheckedObject(std::shared_ptr<const format::SealedObject> sealed);

} // namespace bpfseal
