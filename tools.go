//go:build tools

// Package tools pins modules that the project uses so go mod tidy keeps them during bring-up.
package tools

import (
	_ "github.com/blevesearch/bleve/v2"
	_ "github.com/bwmarrin/discordgo"
	_ "github.com/chromedp/chromedp"
	_ "github.com/gorilla/websocket"
	_ "github.com/sashabaranov/go-openai"
)
