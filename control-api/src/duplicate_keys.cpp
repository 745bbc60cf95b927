#include "duplicate_keys.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <set>
#include <vector>

namespace convox::control_api {
namespace {

// A Boost.JSON SAX handler that builds nothing: it tracks the keys of each
// open object and the position in each open array, for the path.
class DuplicateKeyFinder {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::optional<std::string> duplicate;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    frames_.push_back({true, {}, {}, 0});
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code&) {
    frames_.pop_back();
    return valueDone();
  }
  bool on_array_begin(boost::system::error_code&) {
    frames_.push_back({false, {}, {}, 0});
    return true;
  }
  bool on_array_end(std::size_t, boost::system::error_code&) {
    frames_.pop_back();
    return valueDone();
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    partial_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
    partial_.append(s.data(), s.size());
    auto& frame = frames_.back();
    frame.key = std::move(partial_);
    partial_.clear();
    if (!frame.keys.insert(frame.key).second) {
      duplicate = path();
      ec = boost::json::error::syntax;  // stops the parse; the caller reads `duplicate`
      return false;
    }
    return true;
  }
  bool on_string_part(boost::json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_string(boost::json::string_view, std::size_t, boost::system::error_code&) { return valueDone(); }
  bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t, boost::json::string_view, boost::system::error_code&) { return valueDone(); }
  bool on_uint64(std::uint64_t, boost::json::string_view, boost::system::error_code&) { return valueDone(); }
  bool on_double(double, boost::json::string_view, boost::system::error_code&) { return valueDone(); }
  bool on_bool(bool, boost::system::error_code&) { return valueDone(); }
  bool on_null(boost::system::error_code&) { return valueDone(); }
  bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }

 private:
  struct Frame {
    bool object;
    std::set<std::string> keys;
    std::string key;   // objects: the key of the current member
    size_t index = 0;  // arrays: the position of the current element
  };

  bool valueDone() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
    return true;
  }
  // The same notation as the validator's field paths.
  std::string path() const {
    std::string out;
    for (const auto& f : frames_) {
      if (f.object) {
        out += (out.empty() ? "" : ".") + f.key;
      } else {
        out += "[" + std::to_string(f.index) + "]";
      }
    }
    return out;
  }

  std::vector<Frame> frames_;
  std::string partial_;
};

}  // namespace

std::optional<std::string> firstDuplicateKey(std::string_view text) {
  boost::json::basic_parser<DuplicateKeyFinder> parser(boost::json::parse_options{});
  boost::system::error_code ec;
  parser.write_some(false, text.data(), text.size(), ec);
  return parser.handler().duplicate;
}

}  // namespace convox::control_api
