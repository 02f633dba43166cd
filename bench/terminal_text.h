// Escaping of server-sent text before it is printed to a terminal.

#ifndef UPTAKE_BENCH_TERMINAL_TEXT_H_
#define UPTAKE_BENCH_TERMINAL_TEXT_H_

#include <string>
#include <string_view>

namespace uptake {

// Returns `text` with every control character escaped, so that one printed
// line stays one line and no terminal escape sequence passes: C0 controls
// (CR, LF, ESC and NUL among them) and DEL become \xNN, C1 controls
// (U+0080 to U+009F) become \u00NN, and a backslash becomes \\ so that an
// escape in the output always stands for an escaped character. `text`
// should be UTF-8. Other bytes of 0x80 and above are copied, so a stray
// 0x80 to 0x9F byte outside a UTF-8 sequence passes.
std::string EscapeForTerminal(std::string_view text);

}  // namespace uptake

#endif  // UPTAKE_BENCH_TERMINAL_TEXT_H_
