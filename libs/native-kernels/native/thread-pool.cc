#include "thread-pool.h"

#include <algorithm>

namespace tunefleet {

ThreadPool& pool() {
  static ThreadPool instance;
  return instance;
}

ThreadPool::~ThreadPool() { stopWorkers(); }

void ThreadPool::stopWorkers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  stopping_ = false;
}

void ThreadPool::resize(int threads) {
  threads = std::max(1, threads);
  if (threads == size()) return;
  stopWorkers();
  for (int i = 1; i < threads; i++) workers_.emplace_back([this, i] { workerLoop(i); });
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    seen = generation_;
  }
  for (;;) {
    const RangeFn* job;
    int64_t begin, end;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      job = job_;
      begin = std::min(jobSize_, index * chunk_);
      end = std::min(jobSize_, begin + chunk_);
    }
    if (begin < end) (*job)(begin, end);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_.notify_one();
    }
  }
}

void ThreadPool::parallelFor(int64_t n, int64_t grain, const RangeFn& fn) {
  if (n <= 0) return;
  const int threads = size();
  if (threads == 1 || n < 2 * std::max<int64_t>(grain, 1)) {
    fn(0, n);
    return;
  }
  const int64_t chunk = (n + threads - 1) / threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    jobSize_ = n;
    chunk_ = chunk;
    pending_ = threads - 1;
    generation_++;
  }
  wake_.notify_all();
  fn(0, std::min(n, chunk));
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
}

}  // namespace tunefleet
