//! The alerts domain's types, shared by the server and the browser.

use serde::{Deserialize, Serialize};

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    /// A session judged outside the company's rules (raised by ingestion).
    Policy,
    /// A car still parked past its maximum stay (raised by the overstay job).
    Overstay,
    /// A budget at 80 % or 100 % in a month (raised by the budget check).
    Budget,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Policy, Kind::Overstay, Kind::Budget];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Policy => "policy",
            Kind::Overstay => "overstay",
            Kind::Budget => "budget",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The position in the texts' `kinds` list.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// How a person wants an alert kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Mode {
    Off,
    /// A notice in the portal, no mail (the default).
    #[default]
    Portal,
    /// A notice and a mail at once.
    Immediate,
    /// A notice, and the day's notices in one mail at 07:00 in the company's time zone.
    Digest,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Off, Mode::Portal, Mode::Immediate, Mode::Digest];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::Portal => "portal",
            Mode::Immediate => "immediate",
            Mode::Digest => "digest",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The position in the texts' `modes` list.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One notice as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeView {
    pub kind: Kind,
    pub text: String,
    /// Exactly the sessions concerned (the history filtered), or the month's costs.
    pub href: String,
    /// When it was raised, in the company's time zone.
    pub when: String,
    pub unread: bool,
}

/// `/notices`: the person's notices, newest first, and their choices.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticesView {
    pub notices: Vec<NoticeView>,
    pub unread: i64,
    /// The next (older) page.
    pub older_href: Option<String>,
    /// Each kind with the person's mode.
    pub settings: Vec<(Kind, Mode)>,
}

/// How many notices one page lists.
pub const PAGE: i64 = 50;
