//! `portal company …`: customer service's tools for companies and their owners.

use app::{config::Config, db::Db};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum CompanyCommand {
    /// Create a company from an order; the order's contact email becomes the owner and gets a
    /// welcome mail with sign-in instructions.
    Create {
        #[arg(long)]
        name: String,
        /// Organisation number with its check digit: Swedish 556677-8899, Finnish Y-tunnus
        /// 0112038-9 or Norwegian 923 609 016. Its shape names the company's country.
        #[arg(long)]
        org_number: String,
        #[arg(long)]
        owner_email: String,
        /// Default: the country's (Europe/Stockholm, Europe/Helsinki, Europe/Oslo).
        #[arg(long)]
        time_zone: Option<String>,
        /// Default: the country's (SEK, EUR, NOK).
        #[arg(long)]
        currency: Option<String>,
        /// Language of the welcome mail: sv or en.
        #[arg(long, default_value = "sv")]
        lang: String,
    },
    /// Give a company without an owner (older accounts) its owner.
    SetOwner {
        #[arg(long)]
        org_number: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "sv")]
        lang: String,
    },
    /// List every company with its member count and owner.
    List,
}

/// Runs one `portal company` subcommand on a connected, migrated database.
pub async fn run(
    db: &Db,
    config: &Config,
    cmd: CompanyCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    use app::operator;
    let now = app::db::now_ts();
    let lang_of = |l: &str| {
        app::i18n::Lang::from_code(l)
            .ok_or_else(|| format!("--lang: {l:?} must be sv, en, fi or nb"))
    };
    match cmd {
        CompanyCommand::Create {
            name,
            org_number,
            owner_email,
            time_zone,
            currency,
            lang,
        } => {
            // The country's zone and currency unless given (a number of no country's shape
            // is refused by create_company, naming the shapes).
            let (zone, money) = app::org_number::Country::of(&org_number)
                .unwrap_or(app::org_number::Country::Se)
                .defaults();
            let c = operator::NewCompany {
                name: &name,
                org_number: &org_number,
                owner_email: &owner_email,
                time_zone: time_zone.as_deref().unwrap_or(zone),
                currency: currency.as_deref().unwrap_or(money),
            };
            let access = app::auth::OperatorAccess::command_line();
            let lang = lang_of(&lang)?;
            let id =
                operator::create_company(db, &access, &c, &config.public_url, lang, now).await?;
            println!("created {name} ({id}); {owner_email} is its owner and gets a welcome mail");
        }
        CompanyCommand::SetOwner {
            org_number,
            email,
            lang,
        } => {
            operator::set_owner(
                db,
                &app::auth::OperatorAccess::command_line(),
                &org_number,
                &email,
                &config.public_url,
                lang_of(&lang)?,
                now,
            )
            .await?;
            println!("{email} is now the owner of {org_number} and gets a welcome mail");
        }
        CompanyCommand::List => {
            for c in operator::list_companies(db).await? {
                let owner = c.owner_email.as_deref().unwrap_or("(no owner)");
                println!(
                    "{}  {:<32} {:>6} members  owner: {owner}",
                    c.org_number, c.name, c.active_members
                );
            }
        }
    }
    Ok(())
}
