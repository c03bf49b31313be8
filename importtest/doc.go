// Package importtest holds no code: its test enforces the architecture's import rules over the
// module's source files (one adapter package per external system, no environment reads below cmd/).
//
// The rules (see import_test.go):
//   - only fenlei/llm imports github.com/sashabaranov/go-openai;
//   - only fenlei/retrieval imports github.com/blevesearch/...;
//   - only fenlei/bot/discord (and packages below it) imports github.com/bwmarrin/discordgo;
//   - only fenlei/bot/web (and packages below it, such as its load driver bot/web/webload) imports
//     github.com/gorilla/websocket, and fenlei/bot/discord, to read the close codes of discordgo's
//     gateway connection (which is a gorilla/websocket connection); test files anywhere under bot/ may import gorilla/websocket and
//     github.com/chromedp/..., which nothing else imports;
//   - no non-test file outside cmd/ reads the environment (os.Getenv, os.LookupEnv, os.Environ,
//     os.ExpandEnv, syscall.Getenv, syscall.Environ).
//
// A file constrained to the "tools" build tag (tools.go, which pins modules for go mod tidy) is
// exempt from the import rules.
package importtest
