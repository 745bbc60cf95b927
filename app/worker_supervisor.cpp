#include "worker_supervisor.hpp"

#include "common/logging.hpp"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string_view>

extern char** environ;

namespace convox::app {

namespace {
constexpr std::chrono::milliseconds kPollInterval{250};
constexpr std::chrono::milliseconds kMaxBackoff{30000};
constexpr std::chrono::seconds kHealthyAfter{60};  // a run this long resets the back-off
}  // namespace

std::string builtinWorkerPath() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const auto worker = self.parent_path() / "convox-worker";
  return std::filesystem::exists(worker, ec) ? worker.string() : std::string();
}

WorkerSupervisor::WorkerSupervisor(boost::asio::io_context& io, std::string binary, std::vector<std::string> args,
                                   std::vector<std::pair<std::string, std::string>> env)
    : io_(io), binary_(std::move(binary)), args_(std::move(args)), env_(std::move(env)), timer_(io) {}

WorkerSupervisor::~WorkerSupervisor() {
  if (pid_ > 0) {
    stop();
    waitForExit(std::chrono::milliseconds(2000));
  }
}

void WorkerSupervisor::start() {
  stopping_ = false;
  spawn();
  poll();
}

void WorkerSupervisor::spawn() {
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls until exec.
  std::vector<std::string> envStrings;
  // The supervisor's variables win: a LIVEKIT_URL the user exported for
  // another server must not send the built-in worker there.
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    const bool overridden = std::any_of(env_.begin(), env_.end(), [&](const auto& kv) { return kv.first == name; });
    if (!overridden) envStrings.emplace_back(entry);
  }
  for (const auto& [name, value] : env_) {
    std::string entry = name;
    entry += '=';
    entry += value;
    envStrings.push_back(std::move(entry));
  }
  std::vector<char*> envp;
  envp.reserve(envStrings.size() + 1);
  for (auto& s : envStrings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argStrings{binary_};
  argStrings.insert(argStrings.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  argv.reserve(argStrings.size() + 1);
  for (auto& s : argStrings) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(0);  // the server died before prctl took hold
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  if (pid < 0) {
    common::logger("worker")->error("cannot start the built-in worker {}: fork failed", binary_);
    return;
  }
  pid_ = pid;
  startedAt_ = std::chrono::steady_clock::now();
  common::logger("worker")->info("built-in worker started (pid {})", pid_);
}

void WorkerSupervisor::poll() {
  timer_.expires_after(kPollInterval);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    if (pid_ > 0) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        const auto ran = std::chrono::steady_clock::now() - startedAt_;
        if (ran > kHealthyAfter) backoff_ = std::chrono::milliseconds(1000);
        common::logger("worker")->warn("built-in worker (pid {}) {} {}; restarting in {} ms", pid_,
                                       WIFSIGNALED(status) ? "was killed by signal" : "exited with",
                                       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), backoff_.count());
        pid_ = -1;
        timer_.expires_after(backoff_);
        backoff_ = std::min(backoff_ * 2, kMaxBackoff);
        timer_.async_wait([this](const boost::system::error_code& ec2) {
          if (ec2 || stopping_) return;
          ++restarts_;
          spawn();
          poll();
        });
        return;
      }
    }
    poll();
  });
}

void WorkerSupervisor::stop() {
  stopping_ = true;
  timer_.cancel();
  if (pid_ > 0) kill(pid_, SIGTERM);
}

void WorkerSupervisor::waitForExit(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    usleep(20000);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace convox::app
