// Screenshots of the README, taken in a real browser on a running demo database.
//
//   ./run.sh &                                   # Odoo with the demo data on :8069
//   npm install --prefix /tmp/pw playwright-core # once, outside the repository
//   NODE_PATH=/tmp/pw/node_modules node tools/screenshots.mjs
//
// Environment: ODOO_URL (http://localhost:8069), CHROMIUM (/usr/bin/chromium).
import { createRequire } from "node:module";

// require() (unlike import) honours NODE_PATH, so playwright-core stays outside the repository.
const { chromium } = createRequire(import.meta.url)("playwright-core");

const base = process.env.ODOO_URL || "http://localhost:8069";
const out = new URL("../reconquete_client/static/description/", import.meta.url).pathname;

const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
const page = await browser.newPage({ viewport: { width: 1920, height: 820 } });
await page.goto(`${base}/web/login`);
await page.fill("input[name=login]", "admin");
await page.fill("input[name=password]", "admin");
await page.click("button[type=submit]");
await page.waitForURL(/\/odoo/);

// The board as a manager opens it: every client, the most urgent first in each column.
await page.goto(`${base}/odoo/reconquete`);
await page.locator(".o_kanban_record").first().waitFor();
await page.waitForTimeout(1500);
await page.screenshot({ path: `${out}reconquete_kanban.png` });

// A strategic client slipping away: its reconquest, status bar and buttons in the header.
await page.setViewportSize({ width: 1500, height: 1100 });
await page.locator(".o_kanban_record", { hasText: "Hôtel des Alpes" }).click();
await page.locator(".o_statusbar_status").waitFor();
await page.waitForTimeout(1500);
await page.screenshot({ path: `${out}reconquete_client_form.png` });

// The day's reconquest activities, in the activity view.
await page.setViewportSize({ width: 1500, height: 700 });
await page.goto(`${base}/odoo/reconquete`);
await page.locator(".o_kanban_record").first().waitFor();
await page.locator(".o_switch_view.o_activity").click();
await page.locator(".o_activity_view_table").waitFor();
await page.waitForTimeout(1500);
await page.screenshot({ path: `${out}reconquete_activities.png` });

// The bathtub: clients gained, won back and lost per month, and the net change, from day one.
await page.setViewportSize({ width: 1600, height: 900 });
await page.goto(`${base}/odoo/action-reconquete_client.reconquete_flow_action`);
await page.locator(".o_graph_renderer canvas").waitFor();
await page.waitForTimeout(2000);
await page.screenshot({ path: `${out}reconquete_bathtub.png` });

// Settings > Reconquête: the replayed history and the calibration of the alert threshold.
await page.setViewportSize({ width: 1400, height: 1100 });
await page.goto(`${base}/odoo/action-reconquete_client.reconquete_config_settings_action`);
const calibration = page.locator("#reconquete_calibration").locator("xpath=..");
await calibration.waitFor();
await calibration.scrollIntoViewIfNeeded();
await page.waitForTimeout(1500);
await calibration.screenshot({ path: `${out}reconquete_calibration.png` });

await browser.close();
console.log(`screenshots written to ${out}`);
