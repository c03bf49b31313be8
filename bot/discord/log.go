package discord

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/bwmarrin/discordgo"
)

// slogBridge returns a function for discordgo.Logger that sends discordgo's messages to lg,
// at the matching level, with the fixed message "discordgo" and the text in "detail".
func slogBridge(lg *slog.Logger) func(msgL, caller int, format string, a ...any) {
	return func(msgL, caller int, format string, a ...any) {
		level := slog.LevelDebug
		switch msgL {
		case discordgo.LogError:
			level = slog.LevelError
		case discordgo.LogWarning:
			level = slog.LevelWarn
		case discordgo.LogInformational:
			level = slog.LevelInfo
		}
		if !lg.Enabled(context.Background(), level) {
			return
		}
		lg.Log(context.Background(), level, "discordgo", "detail", fmt.Sprintf(format, a...))
	}
}
