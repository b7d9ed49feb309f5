//! A report built from hand-made counters, read back from each format.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use yiwang_domain::evaluation::Counters;

use super::*;

fn indicators(c: Counters, buckets: &[(i64, i64)]) -> Indicators {
    let buckets: BTreeMap<i64, i64> = buckets.iter().copied().collect();
    Indicators::from_counters(&c, &buckets, &Policy::default())
}

/// The district: closure 70 / (80 − 5) = 93.33 %, p90 in bucket 20 = 10.5 h.
fn district() -> Indicators {
    indicators(
        Counters {
            reported: 120,
            filed: 100,
            filed_on_time: 95,
            filed_invalid: 3,
            dispatched: 90,
            acked_in_time: 81,
            due: 80,
            due_deferred: 5,
            due_closed: 70,
            due_closed_on_time: 60,
            closed: 75,
            closed_fixed: 70,
            handled: 72,
            reworked: 6,
            staff_reports: 40,
            staff_reports_accurate: 37,
            reported_base: 120,
            completed_in_time: 66,
            answered: 50,
            responded: 45,
            responded_asked: 48,
            said_fixed: 40,
            satisfied: 30,
            basically: 10,
            not_satisfied: 10,
            no_answer: 7,
            handling_count: 60,
            handling_minutes: 60 * 420,
        },
        &[(10, 50), (20, 10)],
    )
}

const ODD_NAME: &str = "景山街道, \"老城\" <script>alert(1)</script>";

fn report(lang: Lang) -> MonthlyReport {
    let street = indicators(
        Counters {
            reported: 60,
            due: 40,
            due_closed: 38,
            due_closed_on_time: 33,
            answered: 20,
            said_fixed: 17,
            ..Counters::default()
        },
        &[(4, 3)],
    );
    // Three cases: shown, not ranked.
    let small = indicators(Counters { reported: 3, due: 3, due_closed: 1, ..Counters::default() }, &[]);
    let unit = indicators(
        Counters {
            dispatched: 30,
            acked_in_time: 29,
            due: 20,
            due_closed: 19,
            due_closed_on_time: 18,
            ..Counters::default()
        },
        &[],
    );
    MonthlyReport {
        level_name: "北京市东城区".into(),
        node: "110101".into(),
        period: month(2026, 11).unwrap(),
        generated_at: Timestamp(1_796_083_200_000), // 2026-12-01 08:00 +08:00
        lang,
        policy: Policy::default(),
        ranked_by: Some(RateKind::Closure),
        overall: district(),
        rows: vec![
            ReportRow {
                key: "110101001".into(),
                name: "东华门街道".into(),
                kind: RowKind::Area(Level::Street),
                indicators: street,
                place: Some(1),
            },
            ReportRow {
                key: "110101002".into(),
                name: ODD_NAME.into(),
                kind: RowKind::Area(Level::Street),
                indicators: small,
                place: None,
            },
            ReportRow {
                key: "dc-hw".into(),
                name: "区城管委".into(),
                kind: RowKind::Unit,
                indicators: unit,
                place: Some(1),
            },
        ],
    }
}

fn open(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes)).expect("the workbook opens")
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Empty => String::new(),
        other => format!("{other:?}"),
    }
}

fn number(d: &Data) -> f64 {
    match d {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

/// A minimal RFC 4180 reader, to check our quoting from the other side.
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    let mut row = vec![];
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && row.is_empty(), "every line ends with CRLF");
    rows
}

fn closure_col(header: &[String]) -> usize {
    header.iter().position(|h| h.starts_with("结案率")).expect("a closure column")
}

#[test]
fn the_workbook_opens_with_its_three_sheets_and_the_numbers() {
    let r = report(Lang::Zh);
    let mut wb = open(to_xlsx(&r));
    assert_eq!(wb.sheet_names(), [SHEET_OVERVIEW, SHEET_BREAKDOWN, SHEET_METHOD]);

    let o = wb.worksheet_range(SHEET_OVERVIEW).unwrap();
    assert_eq!(text(o.get_value((0, 0)).unwrap()), "北京市东城区考核月报");
    let find = |label: &str| {
        (0..o.height() as u32).find(|row| text(o.get_value((*row, 0)).unwrap_or(&Data::Empty)) == label).unwrap()
    };
    let closure = find("结案率");
    let header = closure - 3; // 按时立案率, 准确立案率, then 结案率
    assert_eq!(text(o.get_value((header, 3)).unwrap()), "分母");
    assert_eq!(number(o.get_value((closure, 1)).unwrap()), 0.9333);
    assert_eq!(number(o.get_value((closure, 2)).unwrap()), 70.0);
    assert_eq!(number(o.get_value((closure, 3)).unwrap()), 75.0);
    let (lo, hi) = yiwang_domain::evaluation::wilson(70.0, 75.0);
    assert_eq!(number(o.get_value((closure, 4)).unwrap()), (lo * 10_000.0).round() / 10_000.0);
    assert_eq!(number(o.get_value((closure, 5)).unwrap()), (hi * 10_000.0).round() / 10_000.0);
    assert_eq!(number(o.get_value((find("上报案卷数"), 1)).unwrap()), 120.0);
    assert_eq!(number(o.get_value((find("回访超时未答数"), 1)).unwrap()), 7.0);
    assert_eq!(number(o.get_value((find("P90 处置时长（工作小时）"), 1)).unwrap()), 10.5);
    assert_eq!(number(o.get_value((find("平均处置时长（工作小时）"), 1)).unwrap()), 7.0);
    assert_eq!(number(o.get_value((find("综合得分"), 1)).unwrap()), r.overall.composite.unwrap());
    assert_eq!(text(o.get_value((find("等级"), 1)).unwrap()), "B");

    let b = wb.worksheet_range(SHEET_BREAKDOWN).unwrap();
    let header: Vec<String> = (0..b.width() as u32).map(|c| text(b.get_value((1, c)).unwrap())).collect();
    assert_eq!(&header[..3], ["类型", "名称", "代码"]);
    assert_eq!(header.last().unwrap(), "名次（按结案率）");
    let last = header.len() as u32 - 1;
    assert_eq!(text(b.get_value((2, 1)).unwrap()), "北京市东城区");
    assert_eq!(text(b.get_value((2, 0)).unwrap()), "区县");
    assert_eq!(text(b.get_value((3, 1)).unwrap()), "东华门街道");
    assert_eq!(number(b.get_value((3, closure_col(&header) as u32)).unwrap()), 0.95);
    assert_eq!(number(b.get_value((3, last)).unwrap()), 1.0);
    assert_eq!(text(b.get_value((4, 1)).unwrap()), ODD_NAME);
    assert_eq!(text(b.get_value((4, last)).unwrap()), "未排名（样本不足）");
    assert_eq!(text(b.get_value((5, 0)).unwrap()), "部门");
    // A rate with nothing to count is a dash, not a zero.
    assert_eq!(
        text(b.get_value((5, header.iter().position(|h| h.starts_with("满意率")).unwrap() as u32)).unwrap()),
        "—"
    );

    let m = wb.worksheet_range(SHEET_METHOD).unwrap();
    let terms: Vec<String> = (1..m.height() as u32).map(|row| text(m.get_value((row, 0)).unwrap())).collect();
    assert!(terms.contains(&"按期结案率".to_string()) && terms.contains(&"95% 区间".to_string()), "{terms:?}");
    let closure_def = text(m.get_value((3, 1)).unwrap());
    assert!(closure_def.contains("缓办"), "{closure_def}");
}

#[test]
fn the_csv_has_a_bom_a_header_and_quotes_what_needs_quoting() {
    let r = report(Lang::Zh);
    let csv = to_csv(&r);
    assert!(csv.starts_with("\u{feff}类型,名称,代码,上报,"));
    // The comma and the quotes of the odd name are quoted, its quotes doubled.
    assert!(csv.contains(",\"景山街道, \"\"老城\"\" <script>alert(1)</script>\",110101002,"));
    let rows = parse_csv(csv.trim_start_matches('\u{feff}'));
    assert_eq!(rows.len(), 1 + 1 + r.rows.len());
    assert!(rows.iter().all(|row| row.len() == rows[0].len()));
    let closure = closure_col(&rows[0]);
    assert_eq!(rows[1][1], "北京市东城区");
    assert_eq!(rows[1][closure], "93.33");
    assert_eq!(rows[1][3], "120");
    assert_eq!(rows[1].last().unwrap(), "", "the level is not ranked against anything");
    assert_eq!(rows[3][1], ODD_NAME);
    assert_eq!(rows[3].last().unwrap(), "未排名（样本不足）");
    assert_eq!(rows[4][rows[0].iter().position(|h| h.starts_with("满意率")).unwrap()], "");
}

#[test]
fn the_page_is_escaped_printable_and_labelled() {
    let r = report(Lang::Zh);
    let html = to_html(&r);
    assert!(html.starts_with("<!doctype html>\n<html lang=\"zh-CN\">"));
    assert!(!html.contains("<script"), "no script, and the name's tag is escaped");
    assert!(html.contains("景山街道, &quot;老城&quot; &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("@media print") && html.contains("size: A4"));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("url("), "no external asset");
    assert!(html.contains("<th scope=\"col\">分母</th>") && html.contains("<caption>"));
    assert!(html.contains(
        "<th scope=\"row\">结案率</th><td class=\"n\">93.33%</td><td class=\"n\">70</td><td class=\"n\">75</td>"
    ));
    assert!(html.contains("未排名（样本不足）"));
    assert!(html.contains("<title>北京市东城区考核月报</title>"));
    assert!(html.contains("2026-11-01 至 2026-11-30") && html.contains("2026-12-01 08:00 (UTC+8)"));
}

#[test]
fn the_three_formats_show_the_same_numbers() {
    let r = report(Lang::Zh);
    let csv = parse_csv(to_csv(&r).trim_start_matches('\u{feff}'));
    let html = to_html(&r);
    let mut wb = open(to_xlsx(&r));
    let b = wb.worksheet_range(SHEET_BREAKDOWN).unwrap();
    let header = &csv[0];
    for (i, row) in csv.iter().enumerate().skip(1) {
        let mut html_cells = vec![];
        for (c, field) in row.iter().enumerate() {
            let cell = b.get_value((1 + i as u32, c as u32)).unwrap();
            let xlsx = match cell {
                Data::Float(v) if header[c].ends_with("（%）") => format!("{:.2}", v * 100.0),
                Data::Float(v) if header[c].contains("小时") || header[c] == "综合得分" => format!("{v:.2}"),
                Data::String(s) if s == "—" => String::new(),
                other => text(other),
            };
            assert_eq!(&xlsx, field, "row {i}, {}", header[c]);
            let shown = match field.as_str() {
                "" => "—".to_string(),
                f if header[c].ends_with("（%）") => format!("{f}%"),
                f => f.to_string(),
            };
            html_cells.push(esc(&shown));
        }
        // The page's row holds the same cells in the same order.
        let row_html = html.lines().find(|l| l.contains(&format!(">{}<", html_cells[1]))).unwrap();
        let mut pieces: Vec<&str> = row_html.strip_suffix("</tr>").unwrap().split("</t").collect();
        pieces.pop(); // what follows the last cell's end tag
        let page_cells: Vec<&str> = pieces.iter().map(|p| p.rsplit_once('>').unwrap().1).collect();
        assert_eq!(page_cells, html_cells, "row {i}");
    }
    // The overview's closure rate: the same digits in the workbook, the CSV and the page.
    let o = wb.worksheet_range(SHEET_OVERVIEW).unwrap();
    let row = (0..o.height() as u32).find(|row| text(o.get_value((*row, 0)).unwrap()) == "结案率").unwrap();
    let xlsx = format!("{:.2}", number(o.get_value((row, 1)).unwrap()) * 100.0);
    assert_eq!(xlsx, csv[1][closure_col(header)]);
    assert!(html.contains(&format!(">{xlsx}%<")));
}

#[test]
fn english_reports_say_everything_in_english() {
    let r = report(Lang::En);
    let html = to_html(&r);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Monthly evaluation report: 北京市东城区"));
    assert!(html.contains("unranked (too few cases)") && html.contains("Closure rate"));
    let csv = to_csv(&r);
    assert!(csv.starts_with("\u{feff}Kind,Name,Code,Reported,"));
    assert!(csv.contains("Place (by Closure rate)") && csv.contains("\r\nstreet,"));
    let mut wb = open(to_xlsx(&r));
    let m = wb.worksheet_range(SHEET_METHOD).unwrap();
    assert_eq!(text(m.get_value((0, 1)).unwrap()), "Definition");
    // No Chinese in the English method text other than the terms it names.
    for (term, def) in r.method() {
        assert!(term.is_ascii() || term.contains('%'), "{term}");
        assert!(!def.is_empty());
    }
}

#[test]
fn months_and_their_days() {
    let (a, b) = month(2026, 12).unwrap();
    assert_eq!(days((a, b)), (20261201, 20261231));
    assert_eq!(days(month(2024, 2).unwrap()), (20240201, 20240229));
    assert_eq!(month(2026, 13), None);
}
