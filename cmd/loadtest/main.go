// Command loadtest drives a running `fenlei serve` over its websocket: -conns concurrent
// conversations of -turns messages each, bounded by -timeout, and prints the answers, the
// errors and the p50/p95/max latency per turn. It only talks to loopback addresses.
//
//	go run ./cmd/loadtest -url ws://127.0.0.1:8080/ws -conns 200 -turns 5
//
// It exits 1 if any turn failed, 2 for bad flags.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"fenlei/bot/web/webload"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o webload.Options
	fs.StringVar(&o.URL, "url", "ws://127.0.0.1:8080/ws", "websocket URL of fenlei serve (loopback only)")
	fs.IntVar(&o.Conns, "conns", 200, "concurrent conversations")
	fs.IntVar(&o.Turns, "turns", 5, "messages per conversation")
	fs.StringVar(&o.Text, "text", "为银行定制开发信贷管理软件，并提供测试服务", "message sent each turn")
	fs.DurationVar(&o.Timeout, "timeout", 60*time.Second, "limit for the whole run")
	fs.StringVar(&o.Origin, "origin", "", "Origin header to send (default none)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.Conns > 5000 || o.Turns > 1000 {
		fmt.Fprintln(stderr, "loadtest: -conns is limited to 5000 and -turns to 1000")
		return 2
	}
	if err := webload.CheckLoopback(o.URL); err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 2
	}
	res, err := webload.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 2
	}
	fmt.Fprintln(stdout, res)
	if res.Errors > 0 || res.Answers < o.Conns*o.Turns {
		return 1
	}
	return 0
}
