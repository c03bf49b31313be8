package audit

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// cells is the added cells of a row, in the order of Added.
func (r Row) cells() []string {
	conf := ""
	if r.Suggested != "" {
		conf = strconv.FormatFloat(r.Confidence, 'f', 2, 64)
	}
	return []string{r.Suggested, r.Name, conf, r.Status, r.Reason, r.Refs, r.Error}
}

// WriteCSV writes the input columns and the added ones, as UTF-8 with a BOM (so that Excel reads it).
func (rep *Report) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("\ufeff")
	cw := csv.NewWriter(bw)
	cw.Write(append(append([]string{}, rep.Table.Header...), Added...))
	for i, row := range rep.Table.Rows {
		cw.Write(append(append([]string{}, row...), rep.Rows[i].cells()...))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("audit.WriteCSV: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("audit.WriteCSV: %w", err)
	}
	return nil
}

// Sheet names of the XLSX output.
func (rep *Report) sheetNames() (review, summary string) {
	if rep.Table.Lang == "zh" {
		return "审核结果", "汇总"
	}
	return "review", "summary"
}

// WriteXLSX writes the reviewed rows (input cells as text, as read) and a summary sheet.
func (rep *Report) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	reviewName, summaryName := rep.sheetNames()
	if err := f.SetSheetName("Sheet1", reviewName); err != nil {
		return fmt.Errorf("audit.WriteXLSX: %w", err)
	}
	sw, err := f.NewStreamWriter(reviewName)
	if err != nil {
		return fmt.Errorf("audit.WriteXLSX: %w", err)
	}
	header := make([]any, 0, len(rep.Table.Header)+len(Added))
	for _, h := range rep.Table.Header {
		header = append(header, h)
	}
	for _, h := range Added {
		header = append(header, h)
	}
	if err := sw.SetRow("A1", header); err != nil {
		return fmt.Errorf("audit.WriteXLSX: %w", err)
	}
	confCol := len(rep.Table.Header) + 2
	for i, row := range rep.Table.Rows {
		vals := make([]any, 0, len(header))
		for _, c := range row {
			vals = append(vals, c)
		}
		for j, c := range rep.Rows[i].cells() {
			if j+len(rep.Table.Header) == confCol && c != "" { // a number, not text
				vals = append(vals, rep.Rows[i].Confidence)
				continue
			}
			vals = append(vals, c)
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, vals); err != nil {
			return fmt.Errorf("audit.WriteXLSX: row %d: %w", i+2, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("audit.WriteXLSX: %w", err)
	}
	if _, err := f.NewSheet(summaryName); err != nil {
		return fmt.Errorf("audit.WriteXLSX: %w", err)
	}
	if err := rep.Summary().write(f, summaryName, rep.Table.Lang == "zh"); err != nil {
		return fmt.Errorf("audit.WriteXLSX: summary: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("audit.WriteXLSX: %w", err)
	}
	return nil
}

// Classes of the summary, in order; "" is a code that is not a code, "review" a row without a suggestion.
var summaryClasses = []string{"ITO", "BPO", "KPO", "OUT", "", StatusReview}

// ClassLine is one class in the summary: rows and amounts as declared and as suggested.
type ClassLine struct {
	Class                           string
	Declared, Suggested             int
	DeclaredAmount, SuggestedAmount float64
}

// Summary counts a review.
type Summary struct {
	Rows     int            // data rows
	Reviewed int            // rows that got a status
	Errors   int            // rows with an error cell
	Flagged  int            // reviewed rows whose status is not agree
	Status   map[string]int // rows per status
	Classes  []ClassLine    // per class of summaryClasses
	Matrix   map[[2]string]int
}

// Summary counts rep's rows.
func (rep *Report) Summary() Summary {
	s := Summary{Rows: len(rep.Rows), Status: map[string]int{}, Matrix: map[[2]string]int{}}
	idx := map[string]int{}
	for i, c := range summaryClasses {
		idx[c] = i
		s.Classes = append(s.Classes, ClassLine{Class: c})
	}
	for _, r := range rep.Rows {
		if r.Error != "" {
			s.Errors++
		}
		if r.Status == "" {
			continue
		}
		s.Reviewed++
		s.Status[r.Status]++
		if r.Status != StatusAgree {
			s.Flagged++
		}
		dc, sc := classOf(r.Declared), classOf(r.Suggested)
		if r.Suggested == "" {
			sc = StatusReview
		}
		s.Classes[idx[dc]].Declared++
		s.Classes[idx[dc]].DeclaredAmount += r.Amount
		s.Classes[idx[sc]].Suggested++
		s.Classes[idx[sc]].SuggestedAmount += r.Amount
		s.Matrix[[2]string{dc, sc}]++
	}
	return s
}

// FlaggedShare is the share of reviewed rows that need a look (status other than agree).
func (s Summary) FlaggedShare() float64 {
	if s.Reviewed == 0 {
		return 0
	}
	return float64(s.Flagged) / float64(s.Reviewed)
}

func (s Summary) write(f *excelize.File, sheet string, zh bool) error {
	l := func(z, e string) string {
		if zh {
			return z
		}
		return e
	}
	className := func(c string) string {
		switch c {
		case "":
			return l("无效代码", "invalid code")
		case StatusReview:
			return l("待定（需补充信息）", "review (needs information)")
		case "OUT":
			return l("OUT（不属于服务外包）", "OUT (not service outsourcing)")
		}
		return c
	}
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	row := 1
	put := func(vals ...any) {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		f.SetSheetRow(sheet, cell, &vals)
		row++
	}
	title := func(t string) {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		f.SetCellStyle(sheet, cell, cell, bold)
		put(t)
	}
	share := func(col int) {
		cell, _ := excelize.CoordinatesToCellName(col, row-1)
		f.SetCellStyle(sheet, cell, cell, pct)
	}
	title(l("审核汇总", "Audit summary"))
	put(l("数据行", "rows"), s.Rows)
	put(l("已审核", "reviewed"), s.Reviewed)
	put(l("有错误的行", "rows with an error"), s.Errors)
	put(l("需关注（非一致）", "flagged (not agree)"), s.Flagged)
	put(l("需关注占比", "share flagged"), s.FlaggedShare())
	share(2)
	row++

	title(l("按状态", "By status"))
	put(l("状态", "status"), l("行数", "rows"), l("占比", "share"))
	for _, st := range []string{StatusAgree, StatusDiffers, StatusDiffersClass, StatusOut, StatusReview} {
		v := 0.0
		if s.Reviewed > 0 {
			v = float64(s.Status[st]) / float64(s.Reviewed)
		}
		put(st, s.Status[st], v)
		share(3)
	}
	row++

	title(l("按类别（申报与建议）", "By class, declared and suggested"))
	put(l("类别", "class"), l("申报行数", "declared rows"), l("申报金额", "declared amount"), l("建议行数", "suggested rows"), l("建议金额", "suggested amount"))
	for _, c := range s.Classes {
		put(className(c.Class), c.Declared, c.DeclaredAmount, c.Suggested, c.SuggestedAmount)
	}
	row++

	title(l("申报类别 × 建议类别（行数）", "Declared class × suggested class (rows)"))
	head := []any{l("申报＼建议", "declared \\ suggested")}
	for _, c := range summaryClasses {
		head = append(head, className(c))
	}
	put(head...)
	for _, d := range summaryClasses[:5] {
		vals := []any{className(d)}
		for _, sc := range summaryClasses {
			vals = append(vals, s.Matrix[[2]string{d, sc}])
		}
		put(vals...)
	}
	return f.SetColWidth(sheet, "A", "A", 28)
}
