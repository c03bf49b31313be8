package classify

import (
	"slices"
	"strings"
	"testing"
)

// A class named as the asker's supposition is not read; a class named as the service is.
func TestWithoutHypothesis(t *testing.T) {
	tests := []struct {
		text string
		gone []string // not read
		kept []string // still read
		same bool     // the text unchanged
	}{
		{text: "劳务派遣算人力资源管理服务吗？", gone: []string{"人力资源管理服务"}, kept: []string{"劳务派遣"}},
		{text: "给淘宝店铺做代运营，是I23还是B22？", gone: []string{"I23", "B22"}, kept: []string{"代运营"}},
		{text: "Are lawyers' services covered by B13 legal process services?", gone: []string{"B13", "legal process"}, kept: []string{"lawyers"}},
		{text: "K22工程技术服务包不包括现场施工？", gone: []string{"K22", "工程技术服务", "不包括"}, kept: []string{"现场施工"}},
		{text: "人力资源管理服务是否包括劳务派遣？", gone: []string{"人力资源管理服务", "包括"}, kept: []string{"劳务派遣"}},
		{text: "Does I22 cover penetration testing?", gone: []string{"I22", "cover"}, kept: []string{"penetration testing"}},
		{text: "Does running a warehouse count as supply chain management services?", gone: []string{"supply chain"}, kept: []string{"warehouse"}},
		{text: "智能客服外包属于BPO还是ITO", gone: []string{"BPO", "ITO"}, kept: []string{"智能客服"}},
		// the class is the service itself, or no supposition is made
		{text: "我们提供呼叫中心服务，算哪类？", same: true},
		{text: "We provide software research and development services to banks", same: true},
		{text: "我们给医院做预约小程序", same: true},
		// nothing would be left of the description
		{text: "算I11吗？", same: true},
		{text: "K22包括哪些？", same: true},
		{text: "What does I22 cover?", same: true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, _ := suppose(tt.text)
			if tt.same {
				if got != tt.text {
					t.Errorf("suppose = %q, want the text unchanged", got)
				}
				return
			}
			for _, g := range tt.gone {
				if strings.Contains(got, g) {
					t.Errorf("suppose = %q, still reads %q", got, g)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(got, k) {
					t.Errorf("suppose = %q, lost %q", got, k)
				}
			}
		})
	}
}

// The classes left out are returned by code, in the order named, each once.
func TestSupposedCodes(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"给淘宝店铺做代运营，是I23还是B22？", []string{"I23", "B22"}},
		{"劳务派遣算人力资源管理服务（B11）吗？", []string{"B11"}},
		{"Are lawyers' services covered by B13 legal process services?", []string{"B13"}},
		{"智能客服外包属于BPO还是ITO", []string{"BPO", "ITO"}},
		{"我们给医院做预约小程序", nil},
	}
	for _, tt := range tests {
		if _, got := suppose(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("suppose(%q) codes %v, want %v", tt.text, got, tt.want)
		}
	}
}
