package eval

import (
	"fmt"
	"html/template"
	"io"
	"strings"
)

// WriteHTML writes the report as one self-contained HTML page: inline CSS, no scripts and no external
// assets, with inline SVG charts (confusion heatmap, per-class F1 bars, coverage–accuracy curve) and
// the failures with the Decision's reason and citations. Every text from cases and Decisions is
// escaped by html/template.
func (r *Report) WriteHTML(w io.Writer) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"pct":    func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
		"f3":     func(f float64) string { return fmt.Sprintf("%.3f", f) },
		"f1":     func(f float64) string { return fmt.Sprintf("%.1f", f) },
		"orDash": orDash,
		"join":   strings.Join,
		"verb": func(f Failure, i int) string {
			switch {
			case len(f.Verbatim) <= i:
				return ""
			case f.Verbatim[i]:
				return "verbatim"
			}
			return "not verbatim"
		},
	}).Parse(htmlTemplate)
	if err != nil {
		return fmt.Errorf("eval.Report.WriteHTML: %w", err)
	}
	v := htmlView{R: r, Heat: heatmap(r.Confusion), Bars: f1Bars(r.PerClass), Curve: coverageCurve(r.Coverage)}
	if err := t.Execute(w, v); err != nil {
		return fmt.Errorf("eval.Report.WriteHTML: %w", err)
	}
	return nil
}

type htmlView struct {
	R     *Report
	Heat  heatView
	Bars  barsView
	Curve curveView
}

type svgText struct {
	X, Y float64
	Text string
}

type heatCell struct {
	X, Y, Opacity float64
	Fill          string
	N             int
	Expected      string
	Predicted     string
	TX, TY        float64
}

type heatView struct {
	W, H       float64
	RowLabels  []svgText
	ColLabels  []svgText
	Cells      []heatCell
	Empty      bool
	GridX      float64
	GridY      float64
	GridW      float64
	GridH      float64
	AxisLabelX svgText
	AxisLabelY svgText
}

const (
	heatCellSize = 24.0
	heatLeft     = 60.0
	heatTop      = 60.0
)

func heatmap(m Confusion) heatView {
	v := heatView{Empty: len(m.Expected) == 0}
	maxN := 0
	for _, row := range m.Counts {
		for _, n := range row {
			maxN = max(maxN, n)
		}
	}
	v.GridX, v.GridY = heatLeft, heatTop
	v.GridW = heatCellSize * float64(len(m.Predicted))
	v.GridH = heatCellSize * float64(len(m.Expected))
	v.W = heatLeft + v.GridW + 10
	v.H = heatTop + v.GridH + 10
	v.AxisLabelX = svgText{X: heatLeft, Y: 14, Text: "predicted →"}
	v.AxisLabelY = svgText{X: 4, Y: heatTop - 6, Text: "expected ↓"}
	for j, p := range m.Predicted {
		v.ColLabels = append(v.ColLabels, svgText{X: heatLeft + heatCellSize*(float64(j)+0.5), Y: heatTop - 6, Text: orDash(p)})
	}
	for i, e := range m.Expected {
		y := heatTop + heatCellSize*float64(i)
		v.RowLabels = append(v.RowLabels, svgText{X: heatLeft - 6, Y: y + heatCellSize*0.65, Text: e})
		for j, p := range m.Predicted {
			n := 0
			if i < len(m.Counts) && j < len(m.Counts[i]) {
				n = m.Counts[i][j]
			}
			if n == 0 {
				continue
			}
			fill := "#c0392b"
			if e == p {
				fill = "#1e8449"
			}
			x := heatLeft + heatCellSize*float64(j)
			v.Cells = append(v.Cells, heatCell{X: x, Y: y, Fill: fill, Opacity: 0.2 + 0.8*float64(n)/float64(maxN),
				N: n, Expected: e, Predicted: orDash(p), TX: x + heatCellSize/2, TY: y + heatCellSize*0.68})
		}
	}
	return v
}

type bar struct {
	Y, W, LY float64
	Code     string
	F1       float64
	Support  int
}

type barsView struct {
	W, H, Left, Max float64
	Bars            []bar
}

func f1Bars(cs []ClassScore) barsView {
	const rowH, left, width = 20.0, 50.0, 300.0
	v := barsView{W: left + width + 60, H: rowH*float64(len(cs)) + 10, Left: left, Max: width}
	for i, c := range cs {
		y := 5 + rowH*float64(i)
		v.Bars = append(v.Bars, bar{Y: y + 3, W: width * c.F1, LY: y + rowH*0.7, Code: c.Code, F1: c.F1, Support: c.Support})
	}
	return v
}

type curvePoint struct {
	X, Y                          float64
	Threshold, Coverage, Accuracy float64
}

type curveView struct {
	W, H, X0, Y0, X1, Y1 float64
	Points               string
	Dots                 []curvePoint
	Ticks                []svgText
}

// coverageCurve plots accuracy (y) against coverage (x), one dot per threshold with answers.
func coverageCurve(pts []CoveragePoint) curveView {
	v := curveView{W: 420, H: 280, X0: 50, Y0: 240, X1: 400, Y1: 20}
	sx := func(c float64) float64 { return v.X0 + (v.X1-v.X0)*c }
	sy := func(a float64) float64 { return v.Y0 - (v.Y0-v.Y1)*a }
	var ps []string
	for _, p := range pts {
		if p.Answered == 0 {
			continue
		}
		x, y := sx(p.Coverage), sy(p.Accuracy)
		ps = append(ps, fmt.Sprintf("%.1f,%.1f", x, y))
		v.Dots = append(v.Dots, curvePoint{X: x, Y: y, Threshold: p.Threshold, Coverage: p.Coverage, Accuracy: p.Accuracy})
	}
	v.Points = strings.Join(ps, " ")
	for _, f := range []float64{0, 0.25, 0.5, 0.75, 1} {
		v.Ticks = append(v.Ticks, svgText{X: sx(f), Y: sy(f), Text: fmt.Sprintf("%.2f", f)})
	}
	return v
}

const htmlTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fenlei eval report</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.2em .7em;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:2em;align-items:flex-start}
svg text{font-size:11px;font-family:inherit}
.fail{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:.8em 0}
.fail .id{font-weight:bold}.muted{color:#777}
blockquote{margin:.3em 0 .3em 1em;padding-left:.7em;border-left:3px solid #1e8449}
blockquote.bad{border-left-color:#c0392b}
.err{color:#c0392b}
</style>
</head>
<body>
<h1>fenlei eval report</h1>
<p>{{.R.Cases}} cases ({{.R.ClassificationCases}} classification, {{.R.QuestionCases}} questions), {{.R.ErrorCount}} errors.</p>

<h2>Figures</h2>
<table>
<tr><th>level</th><th class="n">top-1</th><th class="n">top-3</th></tr>
<tr><td>sub-class</td><td class="n">{{pct .R.Accuracy.Sub.Top1}}</td><td class="n">{{pct .R.Accuracy.Sub.Top3}}</td></tr>
<tr><td>middle class</td><td class="n">{{pct .R.Accuracy.Middle.Top1}}</td><td class="n">{{pct .R.Accuracy.Middle.Top3}}</td></tr>
<tr><td>major class</td><td class="n">{{pct .R.Accuracy.Major.Top1}}</td><td class="n">{{pct .R.Accuracy.Major.Top3}}</td></tr>
</table>
<table>
<tr><td>OUT precision / recall</td><td class="n">{{pct .R.Out.Precision}} / {{pct .R.Out.Recall}}</td><td class="muted">{{.R.Out.Hits}} hits, {{.R.Out.Predicted}} predicted, {{.R.Out.Gold}} gold</td></tr>
<tr><td>abstention rate</td><td class="n">{{pct .R.AbstentionRate}}</td><td class="muted">{{.R.Abstained}} of {{.R.ClassificationCases}}</td></tr>
<tr><td>accuracy on answered</td><td class="n">{{pct .R.AnsweredAccuracy}}</td><td class="muted">{{.R.Answered}} answered</td></tr>
<tr><td>macro-F1</td><td class="n">{{f3 .R.MacroF1}}</td><td></td></tr>
<tr><td>expected calibration error</td><td class="n">{{f3 .R.ECE}}</td><td></td></tr>
<tr><td>citations verbatim</td>{{if .R.Citations.Checked}}<td class="n">{{pct .R.Citations.Rate}}</td><td class="muted">{{.R.Citations.Verbatim}} of {{.R.Citations.Total}}</td>{{else}}<td class="n">–</td><td class="muted">not checked</td>{{end}}</tr>
<tr><td>guidance-question hit rate</td><td class="n">{{pct .R.Questions.HitRate}}</td><td class="muted">{{.R.Questions.Hits}} of {{.R.Questions.Cases}}</td></tr>
<tr><td>latency p50 / p95</td><td class="n">{{f1 .R.Latency.P50MS}} / {{f1 .R.Latency.P95MS}} ms</td><td class="muted">mean {{f1 .R.Latency.MeanMS}}, max {{f1 .R.Latency.MaxMS}}</td></tr>
<tr><td>tokens per case</td><td class="n">{{f1 .R.Tokens.PromptPerCase}} + {{f1 .R.Tokens.CompletionPerCase}}</td><td class="muted">prompt + completion</td></tr>
</table>

<h2>Charts</h2>
<div class="charts">
<figure>
<figcaption>Confusion matrix</figcaption>
{{if .Heat.Empty}}<p class="muted">no classification cases</p>{{else}}
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Heat.W}}" height="{{.Heat.H}}" viewBox="0 0 {{.Heat.W}} {{.Heat.H}}" role="img" aria-label="confusion matrix">
<rect x="{{.Heat.GridX}}" y="{{.Heat.GridY}}" width="{{.Heat.GridW}}" height="{{.Heat.GridH}}" fill="#fafafa" stroke="#ccc"/>
<text x="{{.Heat.AxisLabelX.X}}" y="{{.Heat.AxisLabelX.Y}}">{{.Heat.AxisLabelX.Text}}</text>
<text x="{{.Heat.AxisLabelY.X}}" y="{{.Heat.AxisLabelY.Y}}">{{.Heat.AxisLabelY.Text}}</text>
{{range .Heat.ColLabels}}<text x="{{.X}}" y="{{.Y}}" text-anchor="start" transform="rotate(-60 {{.X}} {{.Y}})">{{.Text}}</text>
{{end}}{{range .Heat.RowLabels}}<text x="{{.X}}" y="{{.Y}}" text-anchor="end">{{.Text}}</text>
{{end}}{{range .Heat.Cells}}<g><title>{{.Expected}} → {{.Predicted}}: {{.N}}</title><rect x="{{.X}}" y="{{.Y}}" width="24" height="24" fill="{{.Fill}}" fill-opacity="{{.Opacity}}"/><text x="{{.TX}}" y="{{.TY}}" text-anchor="middle">{{.N}}</text></g>
{{end}}</svg>{{end}}
</figure>
<figure>
<figcaption>F1 per class</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Bars.W}}" height="{{.Bars.H}}" viewBox="0 0 {{.Bars.W}} {{.Bars.H}}" role="img" aria-label="F1 per class">
{{range .Bars.Bars}}<g><title>{{.Code}}: F1 {{f3 .F1}}, support {{.Support}}</title><text x="{{$.Bars.Left}}" dx="-6" y="{{.LY}}" text-anchor="end">{{.Code}}</text><rect x="{{$.Bars.Left}}" y="{{.Y}}" width="{{.W}}" height="14" fill="#2e86c1"/><text x="{{$.Bars.Left}}" dx="{{.W}}" y="{{.LY}}"> {{f3 .F1}}</text></g>
{{end}}</svg>
</figure>
<figure>
<figcaption>Coverage–accuracy over confidence thresholds</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="{{.Curve.W}}" height="{{.Curve.H}}" viewBox="0 0 {{.Curve.W}} {{.Curve.H}}" role="img" aria-label="coverage-accuracy curve">
<line x1="{{.Curve.X0}}" y1="{{.Curve.Y0}}" x2="{{.Curve.X1}}" y2="{{.Curve.Y0}}" stroke="#555"/>
<line x1="{{.Curve.X0}}" y1="{{.Curve.Y0}}" x2="{{.Curve.X0}}" y2="{{.Curve.Y1}}" stroke="#555"/>
{{range .Curve.Ticks}}<text x="{{.X}}" y="{{$.Curve.Y0}}" dy="14" text-anchor="middle">{{.Text}}</text><text x="{{$.Curve.X0}}" dx="-4" y="{{.Y}}" text-anchor="end">{{.Text}}</text>
{{end}}<text x="{{.Curve.X1}}" y="{{.Curve.H}}" dy="-4" text-anchor="end">coverage</text>
<text x="4" y="12">accuracy</text>
{{if .Curve.Points}}<polyline points="{{.Curve.Points}}" fill="none" stroke="#2e86c1" stroke-width="2"/>{{end}}
{{range .Curve.Dots}}<circle cx="{{.X}}" cy="{{.Y}}" r="3" fill="#2e86c1"><title>threshold {{printf "%.2f" .Threshold}}: coverage {{f3 .Coverage}}, accuracy {{f3 .Accuracy}}</title></circle>
{{end}}</svg>
</figure>
</div>

{{if .R.PerClass}}<h2>Per class</h2>
<table>
<tr><th>class</th><th class="n">precision</th><th class="n">recall</th><th class="n">F1</th><th class="n">support</th><th class="n">predicted</th></tr>
{{range .R.PerClass}}<tr><td>{{.Code}}</td><td class="n">{{f3 .Precision}}</td><td class="n">{{f3 .Recall}}</td><td class="n">{{f3 .F1}}</td><td class="n">{{.Support}}</td><td class="n">{{.Predicted}}</td></tr>
{{end}}</table>{{end}}

{{if .R.PerTag}}<h2>Per tag</h2>
<table>
<tr><th>tag</th><th class="n">cases</th><th class="n">right</th><th class="n">accuracy</th></tr>
{{range .R.PerTag}}<tr><td>{{.Tag}}</td><td class="n">{{.Cases}}</td><td class="n">{{.Right}}</td><td class="n">{{pct .Accuracy}}</td></tr>
{{end}}</table>{{end}}

{{if .R.Errors}}<h2>Errors ({{len .R.Errors}})</h2>
<ul>{{range .R.Errors}}<li><b>{{.ID}}</b>: <span class="err">{{.Error}}</span></li>{{end}}</ul>{{end}}

<h2>Failures ({{len .R.Failures}})</h2>
{{range $f := .R.Failures}}<div class="fail">
<div><span class="id">{{$f.ID}}</span> {{if $f.Question}}<span class="muted">question; must cite: {{join $f.Cite " | "}}</span>{{else}}<span class="muted">want {{$f.Expected}}{{if $f.Accept}} (or {{join $f.Accept ", "}}){{end}}, got {{orDash $f.Code}}</span>{{end}}</div>
<p>{{$f.Text}}</p>
{{if $f.Error}}<p class="err">error: {{$f.Error}}</p>{{end}}
{{if $f.Ask}}<p><b>asked:</b> {{$f.Ask}}</p>{{end}}
{{if $f.Reason}}<p><b>reason:</b> {{$f.Reason}}</p>{{end}}
{{if $f.Answer}}<p><b>answer:</b> {{$f.Answer}}</p>{{end}}
{{range $i, $c := $f.Citations}}<blockquote{{if eq (verb $f $i) "not verbatim"}} class="bad"{{end}}>{{$c.Quote}}<br><span class="muted">{{$c.Ref}} {{$c.Section}} {{verb $f $i}}</span></blockquote>
{{end}}</div>
{{end}}
</body>
</html>
`
