package discord

import (
	"context"
	"time"

	"fenlei/decision"
	"fenlei/store"
	"fenlei/textin"
)

// Recorder keeps every answer before it is sent; *store.DB satisfies it.
type Recorder interface {
	AddRecord(ctx context.Context, r store.Record, user string) (store.Record, error)
}

var _ Recorder = (*store.DB)(nil)

// record stores an answer before it is sent (Config.Recorder nil: nothing is recorded). The Discord
// user id is kept only as the store's salted hash. An answer that could not be recorded becomes
// textin's CodeNotRecorded error (the cause is logged), so that it is not sent.
func (b *Bot) record(conv, user, text string, d decision.Decision, err error, took time.Duration) (decision.Decision, error) {
	if err != nil || b.cfg.Recorder == nil {
		return d, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), restTimeout)
	defer cancel()
	r, err := b.cfg.Recorder.AddRecord(ctx, store.Record{Channel: "discord", Conversation: conv, Text: text, Decision: d,
		LatencyMS: float64(took.Microseconds()) / 1000}, "discord:"+user)
	if err != nil {
		b.lg.Error("discord record", "conversation", conv, "err", err)
		return d, &textin.Error{Code: textin.CodeNotRecorded}
	}
	d.RecordID = r.ID
	return d, nil
}
