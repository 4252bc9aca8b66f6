// Helpers shared by the files of the sealed format (core/src). Internal.
#pragma once

#include "bpfseal/format.h"

#include <string>
#include <string_view>
#include <vector>

namespace bpfseal::format::detail {

// EBADMSG "malformed sealed object: <what>" with the re-seal hint.
Error malformed(std::string what);

void putU32(std::vector<uint8_t> &out, uint32_t v);
uint32_t getU32(const uint8_t *p);

bool validUtf8(std::string_view s);
// Every string the manifest records must be UTF-8; names the first that is not.
Status checkManifestText(const Manifest &m);
// Loader names become file names (sign --detached writes NAME.p7s), so they
// are restricted to what the sealer generates: [a-z0-9_-], 1..31 characters.
bool validLoaderName(std::string_view name);

} // namespace bpfseal::format::detail
