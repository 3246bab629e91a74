// Shared memory between the worker processes of one machine, for the ring all-reduce's same-host data
// plane: a rank's gradient buffer lives in an anonymous memfd that its neighbour maps read-only
// through /proc/<pid>/fd/<fd>, so chunks go by reference instead of through the socket.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "binding.h"

namespace tunefleet::binding {

namespace {

struct Mapping {
  void* base;
  size_t bytes;
  int fd;  // -1 once closed (opened mappings close it at once)
};

void unmap(Napi::Env, void*, Mapping* mapping) {
  munmap(mapping->base, mapping->bytes);
  if (mapping->fd >= 0) close(mapping->fd);
  delete mapping;
}

[[noreturn]] void fail(Napi::Env env, const std::string& what) {
  throw Napi::Error::New(env, what + ": " + std::strerror(errno));
}

size_t byteCount(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "bytes must be a number");
  const double bytes = info[i].As<Napi::Number>().DoubleValue();
  if (!(bytes >= 1) || bytes > 9007199254740991.0 || bytes != static_cast<double>(static_cast<int64_t>(bytes))) {
    throw Napi::RangeError::New(info.Env(), "bytes must be a positive integer");
  }
  return static_cast<size_t>(bytes);
}

// sharedMemoryCreate(bytes, name) -> { buffer: ArrayBuffer (read-write, zero-filled), fd: number }.
// The fd stays open (so /proc/self/fd/<fd> names it) until the buffer is garbage-collected.
Napi::Value SharedMemoryCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t bytes = byteCount(info, 0);
  const std::string name = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "tunefleet";
  const int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0) fail(env, "memfd_create");
  if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) {
    const int saved = errno;
    close(fd);
    errno = saved;
    fail(env, "ftruncate of shared memory");
  }
  void* base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    const int saved = errno;
    close(fd);
    errno = saved;
    fail(env, "mmap of shared memory");
  }
  auto* mapping = new Mapping{base, bytes, fd};
  Napi::Object out = Napi::Object::New(env);
  out.Set("buffer", Napi::ArrayBuffer::New(env, base, bytes, unmap, mapping));
  out.Set("fd", Napi::Number::New(env, fd));
  return out;
}

// sharedMemoryOpen(path, bytes) -> ArrayBuffer: the first `bytes` of the file at `path`, mapped
// read-only (a write through it would fault, so this process cannot change its neighbour's memory).
Napi::Value SharedMemoryOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "path must be a string");
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  const size_t bytes = byteCount(info, 1);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(env, "open " + path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int saved = errno;
    close(fd);
    errno = saved;
    fail(env, "fstat " + path);
  }
  if (static_cast<uint64_t>(st.st_size) < bytes) {
    close(fd);
    throw Napi::RangeError::New(env, path + " holds " + std::to_string(st.st_size) + " bytes, expected at least " + std::to_string(bytes));
  }
  void* base = mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  const int saved = errno;
  close(fd);
  errno = saved;
  if (base == MAP_FAILED) fail(env, "mmap " + path);
  auto* mapping = new Mapping{base, bytes, -1};
  return Napi::ArrayBuffer::New(env, base, bytes, unmap, mapping);
}

}  // namespace

BindingTable sharedMemoryBindings() {
  static const Binding rows[] = {
    {"sharedMemoryCreate", SharedMemoryCreate},
    {"sharedMemoryOpen", SharedMemoryOpen},
  };
  return tableOf(rows);
}

}  // namespace tunefleet::binding
