// The words of load errors (load_errors.h) and the verifier-log trimming
// every error that carries a log goes through (object_impl.h).
#include "load_errors.h"
#include "object_impl.h"

#include <cerrno>
#include <vector>

namespace bpfseal {

// What a loader-check prologue's verdict means (docs/FORMAT.md). Verdicts
// are positive and only the prologue returns them: the gen_loader body
// returns 0 or the -errno of the kernel call that failed.
Error prologueError(const format::LoaderImage &loader, int verdict) {
  const std::string n = "loader '" + loader.info.name + "'";
  switch (static_cast<format::PrologueVerdict>(verdict)) {
  case format::PrologueVerdict::WrongLayout:
    return makeError(
        ENOEXEC,
        n + " refused to run (prologue verdict 1): its struct bpf_map layout does not fit this "
            "kernel (type/key/value size/max_entries at its offsets are not the metadata map's)",
        "re-seal with 'bpfseal seal --kernel-btf /sys/kernel/btf/vmlinux'; 'bpfseal probe' shows this kernel's layout");
  case format::PrologueVerdict::HashMismatch:
    return makeError(
        EKEYREJECTED,
        n + " refused the metadata (prologue verdict 2): the kernel's map->sha differs from the "
            "SHA-256(metadata) signed into the loader (metadata changed after signing)",
        "re-seal and re-sign the object; check it with 'bpfseal verify --cert CERT'");
  case format::PrologueVerdict::NotExclusive:
    return makeError(
        EPERM,
        n + " refused the metadata map (prologue verdict 3): it is not exclusive to the loader "
            "(map->excl unset, or excl_prog_sha NULL or all zero)",
        "libbpfseal creates it with excl_prog_hash = the loader's digest, so this kernel did not record it; "
        "run 'bpfseal probe' and use --mode userspace on this kernel");
  }
  return makeError(EPROTO,
                   n + " returned " + std::to_string(verdict) +
                       ", which is neither 0, a -errno nor a prologue verdict",
                   "the object's loader is not one bpfseal made; re-seal the object");
}

std::string loaderSignatureCause(int err, int32_t keyring) {
  switch (err) {
  case EOPNOTSUPP:
    return "the kernel cannot verify signatures (built without CONFIG_SYSTEM_DATA_VERIFICATION)";
  case E2BIG: return "the kernel has no BPF signing UAPI (signature/keyring_id unknown to it)";
  case ENOKEY: return "no key in keyring " + keyringName(keyring) + " matches the signer";
  case EKEYREJECTED:
    return "the kernel rejected the signature (tampered loader or metadata, or signed by another key)";
  case EBADMSG: return "the kernel could not parse the signature (malformed CMS)";
  case EINVAL:
    return "the kernel refused the signed load (keyring " + keyringName(keyring) +
           " does not exist, or the signature size is invalid)";
  case EACCES:
    return "the kernel refused this loader flavor (signature scheme or map binding does not match)";
  case EPERM:
    return "the kernel refused the metadata map binding (not exclusive or not frozen), or "
           "missing privileges";
  default: return "the kernel refused the signed loader";
  }
}

std::string loaderSignatureHint(int err) {
  switch (err) {
  case EOPNOTSUPP:
  case E2BIG:
    return "use --mode userspace --cert CERT (or --mode auto with --cert), or a kernel that verifies BPF signatures";
  case ENOKEY:
    return "add the signing certificate to the keyring (bpfseal keygen --keyring, or keyctl padd asymmetric NAME @s < cert.der) or choose it with --keyring";
  case EINVAL:
    return "check --keyring: session, user, builtin, secondary, platform, .bpf or a keyring serial";
  case EKEYREJECTED:
  case EBADMSG: return "re-seal and re-sign the object; check it with 'bpfseal verify --cert CERT'";
  default: return "run 'bpfseal probe' to see what this kernel supports";
  }
}

std::string trimVerifierLog(std::string_view log, size_t lines) {
  std::vector<std::string_view> kept;
  size_t end = log.size();
  while (end > 0 && kept.size() < lines) {
    size_t start = log.rfind('\n', end - 1);
    size_t from = start == std::string_view::npos ? 0 : start + 1;
    std::string_view line = log.substr(from, end - from);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == '\0'))
      line.remove_suffix(1);
    // The totals the verifier prints last say nothing about the cause, and
    // neither does the dump of BTF the loader loads first ("[12] DATASEC ...",
    // "\ttype_id=7 offset=0 size=8", header fields).
    auto btfDump = [](std::string_view l) {
      if (l.size() > 1 && l[0] == '[' && l[1] >= '0' && l[1] <= '9')
        return true;
      std::string_view t = l.substr(std::min(l.find_first_not_of(" \t"), l.size()));
      for (const char *prefix :
           {"type_id=", "magic: ", "version: ", "flags: ", "hdr_len: ", "type_off: ", "type_len: ",
            "str_off: ", "str_len: ", "btf_total_size: "})
        if (t.starts_with(prefix))
          return true;
      return false;
    };
    if (!line.empty() && line.find("processed ") != 0 && line.find("verification time") != 0 &&
        line.find("stack depth") != 0 && !btfDump(line))
      kept.push_back(line);
    if (start == std::string_view::npos)
      break;
    end = start;
  }
  std::string out;
  for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
    if (!out.empty())
      out += " | ";
    out += *it;
  }
  return out;
}

} // namespace bpfseal
