// A small fixed-size thread pool for the elementwise kernels. Only the JS main thread submits work,
// so one parallelFor runs at a time; the caller takes the first chunk itself.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tunefleet {

using RangeFn = std::function<void(int64_t begin, int64_t end)>;

class ThreadPool {
 public:
  ThreadPool() = default;
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /** Total threads doing work, the caller included (>= 1). */
  void resize(int threads);
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  /**
   * Runs fn over [0, n) split into at most size() contiguous chunks. Ranges shorter than
   * 2 * grain run on the caller alone: waking threads costs more than it saves there.
   */
  void parallelFor(int64_t n, int64_t grain, const RangeFn& fn);

 private:
  void stopWorkers();
  void workerLoop(int index);

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const RangeFn* job_ = nullptr;
  int64_t jobSize_ = 0;
  int64_t chunk_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
};

ThreadPool& pool();

}  // namespace tunefleet
