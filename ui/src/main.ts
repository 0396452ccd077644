import { mount } from "svelte";
import Root from "./Root.svelte";
import "./app.css";
import "./lib/settings/theme";
import "./lib/shared/zoom.svelte";

const target = document.getElementById("app");
if (!target) throw new Error("missing #app");

export default mount(Root, { target });
