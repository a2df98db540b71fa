// What the streaming plugin's browser scripts share: Debian's chromium through playwright-core
// (never a downloaded browser; playwright gives each launch a fresh temporary profile and adds
// --headless), and the one line of JSON each script prints.
import { chromium } from "playwright-core";

export async function launch(executablePath) {
  return chromium.launch({
    executablePath,
    headless: true,
    timeout: 60000,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
  });
}

// Runs `body(browser)` and prints {ok: true, ...its result} or {ok: false, error}; never hangs on
// a browser that does not close.
export async function run(executablePath, body) {
  const browser = await launch(executablePath);
  let result;
  try {
    result = { ok: true, ...(await body(browser)) };
  } catch (e) {
    result = { ok: false, error: String(e && e.stack ? e.stack : e) };
  } finally {
    await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]);
  }
  console.log(JSON.stringify(result));
  process.exit(0);
}

// Polls a plain value in the page until it is truthy (an async predicate would pass at once).
export async function until(page, predicate, arg, timeout) {
  await page.waitForFunction(predicate, arg, { timeout, polling: 100 });
}
