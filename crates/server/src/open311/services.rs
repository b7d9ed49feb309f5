//! Discovery, the service list (the taxonomy's subclasses) and service definitions.

use axum::http::header;
use yiwang_domain::Lang;
use yiwang_domain::taxonomy::{RequestType, Subclass, SubclassId, TimeLimit, Urgency};

use super::doc::Node;
use super::{Call, Failure, Reply};
use crate::AppState;

/// When this interface last changed in a way clients see (discovery's `changeset`).
pub const CHANGESET: &str = "2026-11-21T00:00:00+08:00";
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

fn pick(lang: Lang, zh: impl Into<String>, en: impl Into<String>) -> String {
    match lang {
        Lang::Zh => zh.into(),
        Lang::En => en.into(),
    }
}

/// Where this endpoint is, as the caller reached it.
fn endpoint_url(call: &Call) -> String {
    let header = |name| call.headers.get(name).and_then(|v: &axum::http::HeaderValue| v.to_str().ok());
    let host = header(header::HOST.as_str());
    let scheme = header("x-forwarded-proto").filter(|s| *s == "https").unwrap_or("http");
    match host {
        Some(h) if !h.is_empty() && !h.contains(['/', ' ', '"', '<', '>']) => format!("{scheme}://{h}/open311/v2/"),
        _ => "/open311/v2/".to_owned(),
    }
}

pub fn discovery(call: &Call) -> Reply {
    let lang = call.lang;
    let endpoint = Node::Object(vec![
        ("specification", Node::text(SPECIFICATION)),
        ("url", Node::text(endpoint_url(call))),
        ("changeset", Node::text(CHANGESET)),
        ("type", Node::text("production")),
        ("formats", Node::List("format", vec![Node::text("text/xml"), Node::text("application/json")])),
    ]);
    Reply::ok(
        "discovery",
        Node::Object(vec![
            ("changeset", Node::text(CHANGESET)),
            (
                "contact",
                Node::text(pick(
                    lang,
                    "请联系本辖区的系统管理员；问题也可拨打 12345 政务服务便民热线",
                    "Contact this jurisdiction's system administrators; problems may also be reported on the 12345 hotline",
                )),
            ),
            (
                "key_service",
                Node::text(pick(
                    lang,
                    "api_key 由系统管理员为接入系统的业务账号签发（API 令牌）",
                    "API keys are issued by the system administrators to an operational account of the connecting system (API tokens)",
                )),
            ),
            ("endpoints", Node::List("endpoint", vec![endpoint])),
        ]),
    )
}

pub fn limit_text(limit: TimeLimit, lang: Lang) -> String {
    match (limit, lang) {
        (TimeLimit::Hours(n), Lang::Zh) => format!("{n} 个工作小时"),
        (TimeLimit::Days(n), Lang::Zh) => format!("{n} 个工作日"),
        (TimeLimit::Hours(1), Lang::En) => "1 working hour".to_owned(),
        (TimeLimit::Hours(n), Lang::En) => format!("{n} working hours"),
        (TimeLimit::Days(1), Lang::En) => "1 working day".to_owned(),
        (TimeLimit::Days(n), Lang::En) => format!("{n} working days"),
    }
}

fn service(app: &AppState, s: &Subclass, lang: Lang) -> Node {
    let taxonomy = &app.0.engine.rules().taxonomy;
    let class = taxonomy.class_of(s.id);
    let group = class.map(|c| pick(lang, c.name.clone(), c.en.clone())).unwrap_or_default();
    let unit_kind_en =
        taxonomy.unit_kinds.iter().find(|k| k.name == s.unit_kind).map_or(s.unit_kind.as_str(), |k| &k.en);
    let description = pick(
        lang,
        format!("{group}·{}：处置时限 {}，由{}单位处置", s.name, limit_text(s.time_limit, lang), s.unit_kind),
        format!("{group} · {}: handled within {} by a {} unit", s.en, limit_text(s.time_limit, lang), unit_kind_en),
    );
    Node::Object(vec![
        ("service_code", Node::text(s.id.to_string())),
        ("service_name", Node::text(pick(lang, s.name.clone(), s.en.clone()))),
        ("description", Node::text(description)),
        ("metadata", Node::Bool(true)),
        ("type", Node::text("realtime")),
        ("keywords", Node::text(s.synonyms.join(", "))),
        ("group", Node::text(group)),
    ])
}

pub fn list(app: &AppState, call: &Call) -> Reply {
    let taxonomy = &app.0.engine.rules().taxonomy;
    Reply::ok(
        "services",
        Node::List("service", taxonomy.subclasses.iter().map(|s| service(app, s, call.lang)).collect()),
    )
}

/// The attributes every service takes: how the report is meant (诉求类型) and how urgent it is.
pub const REQUEST_TYPES: [(RequestType, &str, &str, &str); 6] = [
    (RequestType::Enquiry, "enquiry", "咨询", "Enquiry"),
    (RequestType::Help, "help", "求助", "Request for help"),
    (RequestType::Complaint, "complaint", "投诉", "Complaint"),
    (RequestType::Report, "report", "举报", "Report of wrongdoing"),
    (RequestType::Suggestion, "suggestion", "建议", "Suggestion"),
    (RequestType::Praise, "praise", "表扬", "Praise"),
];

pub const URGENCIES: [(Urgency, &str, &str, &str); 3] = [
    (Urgency::Urgent, "urgent", "紧急", "Urgent"),
    (Urgency::Normal, "normal", "一般", "Normal"),
    (Urgency::Deferred, "deferred", "缓办", "Deferred"),
];

fn values<T>(list: &[(T, &str, &str, &str)], lang: Lang) -> Node {
    Node::List(
        "value",
        list.iter()
            .map(|(_, key, zh, en)| {
                Node::Object(vec![("key", Node::text(*key)), ("name", Node::text(pick(lang, *zh, *en)))])
            })
            .collect(),
    )
}

fn attribute(code: &str, order: i64, description: String, datatype_description: String, values: Node) -> Node {
    Node::Object(vec![
        ("variable", Node::Bool(true)),
        ("code", Node::text(code)),
        ("datatype", Node::text("singlevaluelist")),
        ("required", Node::Bool(false)),
        ("datatype_description", Node::text(datatype_description)),
        ("order", Node::Int(order)),
        ("description", Node::text(description)),
        ("values", values),
    ])
}

pub fn definition(app: &AppState, call: &Call, code: &str) -> Result<Reply, Failure> {
    let lang = call.lang;
    let not_found = || {
        Failure::not_found(
            format!("service_code “{code}”不存在；服务列表见 services.xml"),
            format!("service_code “{code}” was not found; see services.xml for the list"),
        )
    };
    let id = SubclassId::parse("service_code", code).map_err(|_| not_found())?;
    let s = app.0.engine.rules().taxonomy.subclass(id).ok_or_else(not_found)?;
    let default_urgency = URGENCIES.iter().find(|u| u.0 == s.urgency).expect("every urgency is listed");
    let attributes = vec![
        attribute(
            "request_type",
            1,
            pick(lang, "诉求类型", "What kind of request this is"),
            pick(lang, "不填为投诉（complaint）", "complaint when not given"),
            values(&REQUEST_TYPES, lang),
        ),
        attribute(
            "urgency",
            2,
            pick(
                lang,
                "紧急程度：紧急的案卷处置时限不超过 2 个工作小时",
                "How urgent: urgent cases get at most 2 working hours",
            ),
            pick(
                lang,
                format!("不填为本类默认：{}（{}）", default_urgency.2, default_urgency.1),
                format!("this service's default when not given: {}", default_urgency.1),
            ),
            values(&URGENCIES, lang),
        ),
    ];
    Ok(Reply::ok(
        "service_definition",
        Node::Object(vec![
            ("service_code", Node::text(s.id.to_string())),
            ("attributes", Node::List("attribute", attributes)),
        ]),
    ))
}
